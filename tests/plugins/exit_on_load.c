/* A library that calls exit(0) while it loads (see crash_on_load.c). */
#include <stdlib.h>

__attribute__((constructor)) static void exit_on_load(void) { exit(0); }

int sh_hostile_marker(void) { return 2; }
