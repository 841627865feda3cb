/* save_state without load_state: refused as an invalid descriptor. */
#include "raw_descriptor.h"

static const sh_detector_api kApi = {sizeof(sh_detector_api), raw_detect};

static sh_status save(void* instance, const char** data, size_t* size) {
  (void)instance;
  *data = "";
  *size = 0;
  return SH_OK;
}

SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) {
  static sh_plugin_descriptor d;
  d = raw_detector_descriptor("half_state", &kApi);
  d.save_state = save;
  return &d;
}
