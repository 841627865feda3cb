// Fuzzes the host config loader: the input is a YAML document, loaded as the
// host loads `--config FILE` (bounded YAML, every section's keys checked)
// and then parsed by every module that owns a section, as --validate-config
// does. A ConfigError is the expected answer to bad input; anything else
// escaping (another exception type, a crash, a sanitizer report, a hang
// caught by libFuzzer's -timeout) is a finding.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

#include "control/control_config.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "config/pipeline_config.h"

using namespace sh::host;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const HostConfig config = HostConfig::load_string(text, "fuzz.yaml", "/nonexistent/base");
    HostRuntime runtime;
    try {
      parse_pipeline_config(config, runtime);
    } catch (const ConfigError&) {
    }
    try {
      parse_control_config(config);
    } catch (const ConfigError&) {
    }
  } catch (const ConfigError& e) {
    // Every refusal is one located line.
    const std::string what = e.what();
    if (what.rfind("fuzz.yaml", 0) != 0) {
      std::fprintf(stderr, "config error without the file name: %s\n", what.c_str());
      std::abort();
    }
  }
  return 0;
}
