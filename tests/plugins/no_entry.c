/* A shared library that exports no sh_plugin_entry. */
#include <strategy_host/abi.h>

SH_PLUGIN_EXPORT int not_a_plugin_entry(void) { return 42; }
