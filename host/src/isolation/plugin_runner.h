// sh-plugin-runner: the child process that runs one isolated plugin.
//
// Started by the host (isolated_plugin.cpp) as
//   sh-plugin-runner --channel-fd 3 --shm-fd 4 --plugin PATH --component NAME
// it loads the plugin, then serves the host's requests (channel.h) until the
// host sends kDestroy or goes away. The plugin's host services are answered
// locally where possible (clock, known symbol names, counters and logs,
// which travel back in each reply) and over the channel otherwise.
#pragma once

namespace sh::host {

// The runner's main(); returns the process exit status.
int plugin_runner_main(int argc, char** argv);

}  // namespace sh::host
