// [sdk] The SDK works the way a quant uses it: install it, build examples/
// out of tree against the installed package only, and load every produced
// plugin (directly, and through `host --list-plugins` when the host has it).
#include <catch2/catch.hpp>

#include "test_plugins_support.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Runs a shell command with stdout to out_file and stderr to err_file;
// returns the exit status.
int run(const std::string& cmd, const fs::path& out_file, const fs::path& err_file) {
  const std::string full = cmd + " >" + quoted(out_file) + " 2>" + quoted(err_file);
  const int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Runs a build step; fails the test with the step's output if it fails.
void step(const std::string& what, const std::string& cmd, const fs::path& work) {
  const fs::path out = work / "step.out", err = work / "step.err";
  const int rc = run(cmd, out, err);
  INFO(what << ": " << cmd << "\n" << slurp(out) << slurp(err));
  REQUIRE(rc == 0);
}

// Removes the scratch directory however the test ends.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(fs::path p) : path(std::move(p)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Example {
  const char* name;
  sh_plugin_kind kind;
  const char* kind_name;
  const char* bad_config;  // must be refused with SH_ERR_CONFIG
};

const Example kExamples[] = {
    {"example_provider", SH_KIND_PROVIDER, "provider", R"({"count": "ten"})"},
    {"example_detector", SH_KIND_DETECTOR, "detector", R"({"threshold": -1})"},
    {"example_expert", SH_KIND_EXPERT, "expert", R"({"lean": 0.9})"},
    {"example_risk", SH_KIND_RISK, "risk", R"({"min_confidence": "high"})"},
    {"example_detector_c", SH_KIND_DETECTOR, "detector", R"({"threshold": -1})"},  // in C
};

// One call through the kind's function table, on empty or tiny inputs.
void exercise(const sh_plugin_descriptor& d, void* inst) {
  switch (d.kind) {
    case SH_KIND_PROVIDER: {
      struct Count {
        uint32_t n = 0;
      } count;
      sh_event_sink sink{sizeof(sh_event_sink), &count,
                         [](void* ctx, const sh_market_event*, uint32_t n, uint32_t) {
                           static_cast<Count*>(ctx)->n += n;
                           return sh_status(SH_OK);
                         }};
      CHECK(d.provider->poll(inst, &sink, 100) == SH_END_OF_DATA);  // default: 10 trades
      CHECK(count.n == 10);
      break;
    }
    case SH_KIND_DETECTOR: {
      sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 0, 0, 0, nullptr, 0, 0, nullptr, nullptr};
      sh_market_context ctx{};
      ctx.struct_size = sizeof(ctx);
      sh_hit_sink sink{sizeof(sh_hit_sink), nullptr,
                       [](void*, const sh_detector_hit*, uint32_t, uint32_t) {
                         return sh_status(SH_OK);
                       }};
      CHECK(d.detector->detect(inst, &batch, &ctx, &sink) == SH_OK);
      break;
    }
    case SH_KIND_EXPERT: {
      sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 0, 0, 0, nullptr, 0, 0, nullptr, nullptr};
      sh_market_context ctx{};
      ctx.struct_size = sizeof(ctx);
      sh_evidence_batch out{sizeof(sh_evidence_batch), sizeof(sh_evidence), 0, 0, nullptr};
      CHECK(d.expert->evaluate(inst, &batch, &ctx, &out) == SH_OK);
      break;
    }
    default: {
      sh_order_intent_batch in{sizeof(sh_order_intent_batch), sizeof(sh_order_intent), 0, 0,
                               nullptr};
      sh_portfolio_state pf{};
      pf.struct_size = sizeof(pf);
      pf.position_size = sizeof(sh_position);
      sh_risk_verdict_batch out{sizeof(sh_risk_verdict_batch), sizeof(sh_risk_verdict), 0, 0,
                                nullptr};
      CHECK(d.risk->evaluate(inst, &in, &pf, &out) == SH_OK);
    }
  }
}

}  // namespace

TEST_CASE("examples build out of tree against the installed SDK and load", "[sdk]") {
  const ScratchDir scratch(fs::temp_directory_path() /
                           ("sh-out-of-tree-" + std::to_string(::getpid())));
  const fs::path prefix = scratch.path / "prefix";
  const fs::path build = scratch.path / "build-examples";

  step("install", "cmake --install " + quoted(SH_BINARY_DIR) + " --prefix " + quoted(prefix),
       scratch.path);
  REQUIRE(fs::exists(prefix / "include/strategy_host/abi.h"));
  REQUIRE(fs::exists(prefix / "include/strategy_host/plugin.hpp"));

  step("configure",
       "cmake -S " + quoted(fs::path(SH_SOURCE_DIR) / "examples") + " -B " + quoted(build) +
           " -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=" + quoted(prefix),
       scratch.path);
  // The package came from the prefix, not from the source tree or the system.
  const std::string cache = slurp(build / "CMakeCache.txt");
  const auto at = cache.find("strategy_host_sdk_DIR:PATH=");
  REQUIRE(at != std::string::npos);
  CHECK(cache.compare(at + 27, prefix.string().size(), prefix.string()) == 0);

  step("build", "cmake --build " + quoted(build) + " -j 2", scratch.path);

  // Each example's own test (strategy_host/testing.hpp, sh_add_plugin_test),
  // run by the examples' ctest against the libraries just built.
  {
    const fs::path out = scratch.path / "ctest.out", err = scratch.path / "ctest.err";
    const int rc = run("ctest --test-dir " + quoted(build) + " -j 2 --output-on-failure", out, err);
    const std::string log = slurp(out) + slurp(err);
    INFO("examples' ctest: rc " << rc << "\n" << log);
    CHECK(rc == 0);
    CHECK(log.find("100% tests passed, 0 tests failed out of 5") != std::string::npos);
    for (const Example& ex : kExamples)
      CHECK(log.find(std::string("test_") + ex.name + " ") != std::string::npos);
  }

  sh_test::TestHost host;
  for (const Example& ex : kExamples) {
    const fs::path lib = build / "plugins" / (std::string("lib") + ex.name + ".so");
    INFO(lib);
    REQUIRE(fs::exists(lib));
    sh_test::LoadedPlugin p(lib.string());
    const sh_plugin_descriptor& d = p.desc();
    CHECK(d.struct_size == sizeof(sh_plugin_descriptor));
    CHECK(d.abi_major == SH_ABI_MAJOR);
    CHECK(d.abi_minor <= SH_ABI_MINOR);
    CHECK(std::string(d.name) == ex.name);
    CHECK(d.kind == ex.kind);
    CHECK(std::string(d.version) == "0.1.0");
    CHECK_FALSE(std::string(d.description).empty());
    const auto schema = nlohmann::json::parse(d.config_schema);
    CHECK(schema.at("type") == "object");
    CHECK(schema.at("additionalProperties") == false);
    {
      sh_test::Instance inst(p, host, "{}");
      REQUIRE(inst.create_rc() == SH_OK);
      exercise(d, inst.get());
    }
    {
      sh_test::Instance bad(p, host, ex.bad_config);
      CHECK(bad.create_rc() == SH_ERR_CONFIG);
      CHECK_FALSE(bad.last_error().empty());
    }
  }

  // Through the real host binary, once it has --list-plugins.
  const fs::path out = scratch.path / "host.out", err = scratch.path / "host.err";
  run(quoted(SH_HOST_BIN) + " --help", out, err);
  if ((slurp(out) + slurp(err)).find("--list-plugins") == std::string::npos) {
    WARN("host binary has no --list-plugins yet; checked the examples by dlopen only");
    return;
  }
  const int rc = run(quoted(SH_HOST_BIN) + " --list-plugins --json --plugin-dir " +
                         quoted(build / "plugins"),
                     out, err);
  INFO("host --list-plugins: rc " << rc << "\n" << slurp(out) << slurp(err));
  REQUIRE(rc == 0);
  const auto listing = nlohmann::json::parse(slurp(out));
  CHECK(listing.at("host_abi") == "1.6");
  for (const Example& ex : kExamples) {
    INFO(ex.name);
    const auto& plugins = listing.at("plugins");
    auto it = std::find_if(plugins.begin(), plugins.end(),
                           [&](const nlohmann::json& p) { return p.value("name", "") == ex.name; });
    REQUIRE(it != plugins.end());
    CHECK(it->at("status") == "ok");
    CHECK(it->at("kind") == ex.kind_name);
    CHECK(it->at("version") == "0.1.0");
    CHECK(it->at("abi") == "1.6");
    CHECK_FALSE(it->at("config_keys").empty());
  }
}
