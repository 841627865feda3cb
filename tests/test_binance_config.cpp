// [binance] Config checks of the binance provider: the descriptor's schema
// and the plugin's own re-checks, with no network involved.
#include <catch2/catch.hpp>

#include "support/plugin_harness.h"

using namespace sh_test;

TEST_CASE("binance refuses a config without symbols or with a bad URL", "[binance]") {
  PluginLibrary lib(plugin_path("binance"));
  CHECK(lib.descriptor().kind == SH_KIND_PROVIDER);
  CHECK(std::string(lib.descriptor().config_schema).find("\"ca_file\"") != std::string::npos);
  HarnessHost host;
  {
    PluginInstance inst(lib, host, nlohmann::json::object());
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK(inst.last_error().find("symbols") != std::string::npos);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTCUSDT"}}, {"ws_url", "ftp://x"}});
    CHECK(inst.status() == SH_ERR_CONFIG);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTCUSDT"}}, {"bogus", 1}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK(inst.last_error().find("bogus") != std::string::npos);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTCUSDT"}}, {"capture", "/nonexistent/x.cap.gz"}});
    CHECK(inst.status() == SH_ERR_CONFIG);
  }
}
