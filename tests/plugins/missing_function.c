/* A detector whose table has detect = NULL. */
#include "raw_descriptor.h"

static const sh_detector_api kApi = {sizeof(sh_detector_api), NULL};

SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) {
  static sh_plugin_descriptor d;
  d = raw_detector_descriptor("missing_function", &kApi);
  return &d;
}
