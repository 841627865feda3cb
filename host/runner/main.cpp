// sh-plugin-runner: runs one `isolation: process` plugin for the host.
#include "isolation/plugin_runner.h"

int main(int argc, char** argv) { return sh::host::plugin_runner_main(argc, argv); }
