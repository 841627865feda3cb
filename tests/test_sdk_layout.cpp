// [abi] The ABI's struct layouts are append-only: these offsets are frozen.
#include <catch2/catch.hpp>
#include <strategy_host/abi.h>
#include <cstddef>

TEST_CASE("descriptor prefix is frozen", "[abi]") {
  CHECK(offsetof(sh_plugin_descriptor, struct_size) == 0);
  CHECK(offsetof(sh_plugin_descriptor, abi_major) == 4);
  CHECK(offsetof(sh_plugin_descriptor, abi_minor) == 6);
}

TEST_CASE("record layouts of ABI 1.0 are frozen", "[abi]") {
  CHECK(sizeof(sh_market_event) == 96);
  CHECK(offsetof(sh_market_event, data) == 32);
  CHECK(offsetof(sh_feature_row, open) == 24);
  CHECK(offsetof(sh_feature_row, rs_benchmark) == 24 + 8 * 23);
  CHECK(offsetof(sh_risk_verdict, detail) == 24);
  CHECK(offsetof(sh_host_services, log) == 16);
}
