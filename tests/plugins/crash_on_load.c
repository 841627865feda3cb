/* A library that crashes while it loads (a constructor dereferences NULL):
 * dlopen() of it kills the process. Built into SH_HOSTILE_PLUGIN_DIR, away
 * from the test plugins that other tests load in process. */
#include <signal.h>

__attribute__((constructor)) static void crash_on_load(void) { raise(SIGSEGV); }

int sh_hostile_marker(void) { return 1; }
