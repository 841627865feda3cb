/* Built against ABI 1.99, newer than the host's 1.0: refused. */
#include "raw_descriptor.h"

static const sh_detector_api kApi = {sizeof(sh_detector_api), raw_detect};

SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) {
  static sh_plugin_descriptor d;
  d = raw_detector_descriptor("abi_minor_newer", &kApi);
  d.abi_minor = 99;
  return &d;
}
