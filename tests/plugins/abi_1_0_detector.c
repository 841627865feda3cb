/* Built as against ABI 1.0: minor 0 and a descriptor that ends at `risk`, before
 * the 1.1 fields. A 1.1 host loads it and reads save_state/load_state as NULL. */
#include <stddef.h>

#include "raw_descriptor.h"

static const sh_detector_api kApi = {sizeof(sh_detector_api), raw_detect};

SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) {
  static sh_plugin_descriptor d;
  d = raw_detector_descriptor("abi_1_0_detector", &kApi);
  d.abi_minor = 0;
  d.struct_size = (uint32_t)(offsetof(sh_plugin_descriptor, risk) + sizeof(d.risk));
  /* Whatever lies past struct_size is not the host's to read. */
  d.save_state = (sh_status(*)(void*, const char**, size_t*))1;
  return &d;
}
