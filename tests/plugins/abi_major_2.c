/* Built against a future ABI 2.0: the host must refuse it by its prefix alone. */
#include "raw_descriptor.h"

static const sh_detector_api kApi = {sizeof(sh_detector_api), raw_detect};

SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) {
  static sh_plugin_descriptor d;
  d = raw_detector_descriptor("abi_major_2", &kApi);
  d.abi_major = 2;
  d.abi_minor = 0;
  return &d;
}
