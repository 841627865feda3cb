// param.reload messages without Redis: parsing and validation (each refusal
// names its problem), path safety (plugin/rule/config dirs, "..", symlinks,
// extensions), HMAC signing, and the control: config section.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "control/control_config.h"
#include "control/reload_message.h"
#include "control/reload_signing.h"
#include "test_host_support.h"

using namespace sh::host;
using sh_test::ScratchDir;
using sh_test::write_file;
namespace fs = std::filesystem;

namespace {

// plugins/, rules/, conf/ (allowed) and outside/ (not), with one file each.
struct Dirs {
  ScratchDir dir{"control_message"};
  ReloadPathPolicy policy;
  Dirs() {
    write_file(dir / "plugins/libmomentum.so", "ELF");
    write_file(dir / "rules/spike.lua", "return {}");
    write_file(dir / "conf/risk.yaml", "max_notional: 1\n");
    write_file(dir / "conf/router.json", "{}");
    write_file(dir / "outside/libevil.so", "ELF");
    write_file(dir / "outside/evil.lua", "os.exit()");
    write_file(dir / "outside/evil.yaml", "x: 1\n");
    write_file(dir / "plugins/notes.txt", "");
    policy.base_dir = dir.path();
    policy.plugin_dirs = {dir / "plugins"};
    policy.rule_dirs = {dir / "rules"};
    policy.config_dirs = {dir / "conf"};
    policy.components = {"risk", "momentum", "spike"};
    policy.lua_components = {"spike"};
  }
  MessageCheck parse(const std::string& text, ReloadRequest* out = nullptr) const {
    ReloadRequest r;
    return parse_reload_message(text, policy, out ? out : &r);
  }
};

std::string refusal(const Dirs& d, const std::string& text) {
  const MessageCheck c = d.parse(text);
  INFO(text);
  REQUIRE_FALSE(c.ok());
  return c.reason;
}

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

}  // namespace

TEST_CASE("reload message: a valid message becomes a ReloadRequest", "[reload]") {
  Dirs d;
  ReloadRequest r;
  const std::string text =
      R"({"component": "risk", "config_path": "conf/risk.yaml", "version": "2024-06-01a", "dry_run": true})";
  REQUIRE(d.parse(text, &r).ok());
  CHECK(r.component == "risk");
  CHECK(r.config_path == fs::weakly_canonical(d.dir / "conf/risk.yaml").string());
  CHECK(r.plugin_path.empty());
  CHECK(r.version == "2024-06-01a");
  CHECK(r.dry_run);
  CHECK_FALSE(r.rollback_to);
  CHECK(r.raw == text);

  REQUIRE(d.parse(R"({"component": "risk", "rollback": 3})", &r).ok());
  CHECK(r.rollback_to == 3u);
  REQUIRE(d.parse(R"({"component": "momentum", "plugin_path": "plugins/libmomentum.so"})", &r).ok());
  CHECK(r.plugin_path == fs::weakly_canonical(d.dir / "plugins/libmomentum.so").string());
  REQUIRE(d.parse(R"({"component": "spike", "rule_path": "rules/spike.lua"})", &r).ok());
  // A Lua component with nothing else reloads its configured file.
  CHECK(d.parse(R"({"component": "spike"})").ok());
  // Absolute paths inside the dirs are fine too.
  const std::string abs = (d.dir / "conf/router.json").string();
  CHECK(d.parse(R"({"component": "risk", "config_path": ")" + abs + "\"}").ok());
  // reload_message_json round-trips.
  ReloadRequest again;
  REQUIRE(d.parse(reload_message_json(r), &again).ok());
  CHECK(again.rule_path == r.rule_path);
}

TEST_CASE("reload message: every refusal names its problem", "[reload]") {
  Dirs d;
  CHECK_THAT(refusal(d, R"({"component": "risk",)"), StartsWith("invalid JSON: parse error at line 1, column"));
  CHECK_THAT(refusal(d, "risk please"), StartsWith("invalid JSON: "));
  CHECK(refusal(d, "[1, 2]") == "not a JSON object (got an array)");
  CHECK(refusal(d, "\"risk\"") == "not a JSON object (got a string)");
  CHECK(refusal(d, "{}") == "missing field 'component'");
  CHECK(refusal(d, R"({"component": ""})") == "component must not be empty");
  CHECK(refusal(d, R"({"component": 7})") == "component must be a string, not a number");
  CHECK_THAT(refusal(d, R"({"component": "Risk Harmoniser"})"), Contains("is not a component name"));
  CHECK(refusal(d, R"({"component": "nosuch", "rollback": 1})") ==
        "unknown component 'nosuch' (configured: momentum, risk, spike)");
  // A number no double holds is refused, not thrown (found by
  // fuzz/fuzz_reload_message; the exception would have ended the control thread).
  CHECK_THAT(refusal(d, R"({"component": "risk", "rollback": 1, "version": 4e55830})"),
             Catch::Matchers::StartsWith("invalid JSON: "));
  CHECK_THAT(refusal(d, R"({"component": "risk", "rollback": 1, "version": 4e55830})"),
             Catch::Matchers::Contains("number overflow"));
  // Typos must not pass.
  CHECK(refusal(d, R"({"component": "risk", "confg_path": "conf/risk.yaml"})") ==
        "unknown field 'confg_path' (expected component, config_path, plugin_path, rule_path, "
        "version, rollback, dry_run, ts_ms, nonce, emergency, shadow, promote, discard)");
  CHECK(refusal(d, R"({"component": "risk", "config_path": 5})") == "config_path must be a string, not a number");
  CHECK(refusal(d, R"({"component": "risk", "config_path": ""})") == "config_path must not be empty");
  CHECK(refusal(d, R"({"component": "risk", "rollback": 1, "version": 2})") == "version must be a string, not a number");
  CHECK(refusal(d, R"({"component": "risk", "rollback": 1, "dry_run": "yes"})") ==
        "dry_run must be true or false, not a string");
  for (const char* bad : {"0", "-2", "1.5", "\"3\"", "null"}) {
    CHECK_THAT(refusal(d, std::string(R"({"component": "risk", "rollback": )") + bad + "}"),
               StartsWith("rollback must be a positive integer (a config version), not "));
  }
  CHECK(refusal(d, R"({"component": "risk"})") ==
        "nothing to do: give config_path, plugin_path, rule_path or rollback");
  CHECK(refusal(d, R"({"component": "risk", "dry_run": true})") ==
        "nothing to do: give config_path, plugin_path, rule_path or rollback");
  CHECK_THAT(refusal(d, R"({"component": "risk", "rollback": 2, "config_path": "conf/risk.yaml"})"),
             StartsWith("rollback restores a stored config version and cannot be combined"));
  CHECK(refusal(d, R"({"component": "spike", "plugin_path": "plugins/libmomentum.so"})") ==
        "plugin_path given for Lua component 'spike' (use rule_path)");
  CHECK(refusal(d, R"({"component": "risk", "rule_path": "rules/spike.lua"})") ==
        "rule_path given for plugin component 'risk' (use plugin_path)");

  // The component is kept for "<component>: <reason>" log lines.
  ReloadRequest r;
  REQUIRE_FALSE(d.parse(R"({"component": "risk", "oops": 1})", &r).ok());
  CHECK(r.component == "risk");
  // Categories for the stats.
  CHECK(d.parse("{").category == "invalid");
  CHECK(d.parse(R"({"component": "risk", "config_path": "/etc/passwd.yaml"})").category == "path");
  CHECK(d.parse(R"({"component": "nosuch", "rollback": 1})").category == "component");
}

TEST_CASE("reload message: code loads only from the plugin and rule dirs", "[reload]") {
  Dirs d;
  const std::string outside_so = (d.dir / "outside/libevil.so").string();
  // Outside every dir.
  CHECK_THAT(refusal(d, R"({"component": "momentum", "plugin_path": ")" + outside_so + "\"}"),
             Contains("outside the plugin dirs (" + (d.dir / "plugins").string() + "); code loads only from there"));
  CHECK_THAT(refusal(d, R"({"component": "spike", "rule_path": "outside/evil.lua"})"),
             Contains("outside the rule dirs"));
  CHECK_THAT(refusal(d, R"({"component": "risk", "config_path": "outside/evil.yaml"})"),
             Contains("outside the allowed config dirs"));
  // ".." escapes are resolved before the check.
  CHECK_THAT(refusal(d, R"({"component": "momentum", "plugin_path": "plugins/../outside/libevil.so"})"),
             Contains("resolves to " + fs::weakly_canonical(outside_so).string() + ", outside the plugin dirs"));
  CHECK_THAT(refusal(d, R"({"component": "spike", "rule_path": "rules/../../../../../../tmp/x.lua"})"),
             Contains("outside the rule dirs"));
  // A symlink inside a plugin dir that points outside is refused...
  fs::create_symlink(d.dir / "outside/libevil.so", d.dir / "plugins/libsneaky.so");
  CHECK_THAT(refusal(d, R"({"component": "momentum", "plugin_path": "plugins/libsneaky.so"})"),
             Contains("outside the plugin dirs"));
  fs::create_directory_symlink(d.dir / "outside", d.dir / "rules/linked");
  CHECK_THAT(refusal(d, R"({"component": "spike", "rule_path": "rules/linked/evil.lua"})"),
             Contains("outside the rule dirs"));
  // ...one that stays inside is fine, and so is a plugin dir that is itself a link.
  fs::create_symlink(d.dir / "plugins/libmomentum.so", d.dir / "plugins/libalias.so");
  CHECK(d.parse(R"({"component": "momentum", "plugin_path": "plugins/libalias.so"})").ok());
  fs::create_directory_symlink(d.dir / "plugins", d.dir / "plugins_link");
  ReloadPathPolicy linked = d.policy;
  linked.plugin_dirs = {d.dir / "plugins_link"};
  ReloadRequest r;
  CHECK(parse_reload_message(R"({"component": "momentum", "plugin_path": "plugins/libmomentum.so"})",
                             linked, &r).ok());
  // The dir itself is not a file inside it.
  CHECK_THAT(refusal(d, R"({"component": "momentum", "plugin_path": "plugins/../plugins.so"})"),
             Contains("outside the plugin dirs"));
  // Wrong extensions.
  CHECK_THAT(refusal(d, R"({"component": "momentum", "plugin_path": "plugins/notes.txt"})"),
             Contains("must end in .so"));
  CHECK_THAT(refusal(d, R"({"component": "spike", "rule_path": "rules/spike.py"})"), Contains("must end in .lua"));
  CHECK_THAT(refusal(d, R"({"component": "risk", "config_path": "conf/risk.sh"})"),
             Contains("must end in .yaml or .yml or .json"));
  // Missing files are named.
  CHECK(refusal(d, R"({"component": "momentum", "plugin_path": "plugins/libnone.so"})") ==
        "plugin_path 'plugins/libnone.so': no such file");

  // check_reload_path on its own (for callers that build requests by hand).
  fs::path resolved;
  CHECK(check_reload_path("rule_path", "rules/spike.lua", d.policy, &resolved).ok());
  CHECK(resolved == fs::weakly_canonical(d.dir / "rules/spike.lua"));
  CHECK_FALSE(check_reload_path("plugin_path", outside_so, d.policy, &resolved).ok());
  CHECK(path_inside(d.dir / "plugins/x/y.so", d.dir / "plugins"));
  CHECK_FALSE(path_inside(d.dir / "plugins", d.dir / "plugins"));
  CHECK_FALSE(path_inside(d.dir / "plugins2/y.so", d.dir / "plugins"));
}

TEST_CASE("reload signing: HMAC-SHA256 envelopes", "[reload]") {
  // RFC 4231 test case 2.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string secret = "s3cret";
  const std::string body = R"({"component": "risk", "rollback": 3})";
  const std::string signed_text = sign_reload_message(secret, body);
  std::string out;

  SECTION("good signature") {
    REQUIRE(unwrap_reload_message(signed_text, secret, true, &out).ok());
    CHECK(out == body);
    // Uppercase hex is the same MAC.
    auto j = nlohmann::json::parse(signed_text);
    std::string mac = j["hmac"];
    for (char& c : mac) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    j["hmac"] = mac;
    CHECK(unwrap_reload_message(j.dump(), secret, true, &out).ok());
  }
  SECTION("missing signature") {
    const MessageCheck c = unwrap_reload_message(body, secret, true, &out);
    CHECK(c.reason == "refused: missing signature");
    CHECK(c.category == "signature");
    const std::string no_mac = nlohmann::json{{"body", body}}.dump();
    CHECK(unwrap_reload_message(no_mac, secret, true, &out).reason == "refused: missing signature");
  }
  SECTION("bad signature") {
    const auto with_mac = [&](const nlohmann::json& mac) {
      return nlohmann::json{{"body", body}, {"hmac", mac}}.dump();
    };
    CHECK(unwrap_reload_message(with_mac(std::string(64, '0')), secret, true, &out).reason ==
          "refused: bad signature");
    CHECK(unwrap_reload_message(with_mac("not hex"), secret, true, &out).reason == "refused: bad signature");
    CHECK(unwrap_reload_message(with_mac(42), secret, true, &out).reason == "refused: bad signature");
    // Signed with another secret.
    CHECK(unwrap_reload_message(sign_reload_message("other", body), secret, true, &out).reason ==
          "refused: bad signature");
    // Body changed after signing.
    auto j = nlohmann::json::parse(signed_text);
    j["body"] = R"({"component": "risk", "rollback": 1})";
    CHECK(unwrap_reload_message(j.dump(), secret, true, &out).reason == "refused: bad signature");
  }
  SECTION("malformed envelope") {
    const std::string extra = nlohmann::json{{"body", body}, {"hmac", "00"}, {"by", "me"}}.dump();
    CHECK(unwrap_reload_message(extra, secret, true, &out).reason ==
          "signed envelope: unknown field 'by' (expected body, hmac)");
    const std::string not_string = nlohmann::json{{"body", {{"component", "risk"}}}, {"hmac", "00"}}.dump();
    CHECK_THAT(unwrap_reload_message(not_string, secret, true, &out).reason,
               StartsWith("signed envelope: body must be a string"));
  }
  SECTION("no secret configured: plain and enveloped messages both pass") {
    REQUIRE(unwrap_reload_message(body, "", false, &out).ok());
    CHECK(out == body);
    REQUIRE(unwrap_reload_message(sign_reload_message("whatever", body), "", false, &out).ok());
    CHECK(out == body);
    // Not JSON: passes through for the message parser to name the problem.
    REQUIRE(unwrap_reload_message("{oops", "", false, &out).ok());
    CHECK(out == "{oops");
  }
}

TEST_CASE("control config: defaults, every key, located errors", "[reload]") {
  ScratchDir dir("control_config");
  write_file(dir / "rules/spike.lua", "return {}");
  const auto load = [&](const std::string& yaml) {
    return HostConfig::load_string(yaml, "cfg.yaml", dir.path());
  };
  SECTION("defaults") {
    const ControlConfig c = parse_control_config(load("host: {mode: replay}\n"));
    CHECK(c.channel == "param.reload");
    CHECK(c.desired_key == "param.desired");
    CHECK(c.switch_stream == "model.switch.log");
    CHECK(c.switch_stream_maxlen == 10000u);
    CHECK_FALSE(c.signing_required());
    CHECK(c.guard.var_key_pattern == "var_pct:*");
    CHECK(c.guard.max_var_pct == 1.5);
    CHECK(c.reconnect_initial_ms == 100);
    CHECK(c.reconnect_max_ms == 5000);
    CHECK(c.max_messages_per_second == 200u);
    REQUIRE(c.paths.config_dirs.size() == 1);
    CHECK(c.paths.config_dirs[0] == dir.path());
    CHECK(c.paths.base_dir == dir.path());
  }
  SECTION("every key") {
    ::setenv("SH_TEST_RELOAD_SECRET", "abc", 1);
    const ControlConfig c = parse_control_config(load(R"(host:
  rule_dirs: [rules]
detectors:
  - name: spike
    lua: rules/spike.lua
control:
  channel: ops.reload
  desired_key: ops.desired
  switch_stream: ops.switch
  switch_stream_maxlen: 50
  hmac_secret_env: SH_TEST_RELOAD_SECRET
  allowed_config_dirs: [conf, /etc/sh]
  guard: {var_key_pattern: "risk:var:*", max_var_pct: 2.5}
  reconnect_backoff_ms: {initial: 10, max: 40}
  max_messages_per_second: 7
)"));
    CHECK(c.channel == "ops.reload");
    CHECK(c.desired_key == "ops.desired");
    CHECK(c.switch_stream == "ops.switch");
    CHECK(c.switch_stream_maxlen == 50u);
    CHECK(c.signing_required());
    CHECK(c.hmac_secret == "abc");
    REQUIRE(c.paths.config_dirs.size() == 2);
    CHECK(c.paths.config_dirs[0] == dir / "conf");
    CHECK(c.paths.config_dirs[1] == "/etc/sh");
    CHECK(c.guard.var_key_pattern == "risk:var:*");
    CHECK(c.guard.max_var_pct == 2.5);
    CHECK(c.reconnect_initial_ms == 10);
    CHECK(c.reconnect_max_ms == 40);
    CHECK(c.max_messages_per_second == 7u);
    CHECK(c.paths.components.count("spike") == 1);
    CHECK(c.paths.lua_components.count("spike") == 1);
    ::unsetenv("SH_TEST_RELOAD_SECRET");
  }
  SECTION("errors are located one-liners") {
    const auto error = [&](const std::string& yaml) {
      try {
        parse_control_config(load(yaml));
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      FAIL("no ConfigError for: " << yaml);
      return std::string();
    };
    CHECK_THAT(error("control:\n  chanel: x\n"), StartsWith("cfg.yaml:2:3: unknown key 'chanel' in control:"));
    ::unsetenv("SH_TEST_NO_SUCH_SECRET");
    CHECK(error("control:\n  hmac_secret_env: SH_TEST_NO_SUCH_SECRET\n") ==
          "cfg.yaml:2:20: control.hmac_secret_env: environment variable SH_TEST_NO_SUCH_SECRET is not set "
          "(signed reload messages are required)");
    ::setenv("SH_TEST_EMPTY_SECRET", "", 1);
    CHECK_THAT(error("control:\n  hmac_secret_env: SH_TEST_EMPTY_SECRET\n"), Contains("is empty"));
    ::unsetenv("SH_TEST_EMPTY_SECRET");
    CHECK_THAT(error("control:\n  reconnect_backoff_ms: {initial: 500, max: 100}\n"),
               StartsWith("cfg.yaml:2:25: control.reconnect_backoff_ms: max must be >= initial"));
    CHECK_THAT(error("control:\n  max_messages_per_second: 0\n"), StartsWith("cfg.yaml:2:28: control.max_messages_per_second must be 1.."));
    CHECK_THAT(error("control:\n  guard: {max_var_pct: lots}\n"), StartsWith("cfg.yaml:2:24: control.guard.max_var_pct has the wrong type"));
    CHECK_THAT(error("control:\n  guard: {var_key: x}\n"), StartsWith("cfg.yaml:2:11: unknown key 'var_key' in control.guard:"));
    CHECK_THAT(error("control:\n  allowed_config_dirs: conf\n"), StartsWith("cfg.yaml:2:24: control.allowed_config_dirs: expected a non-empty list"));
    CHECK_THAT(error("control: [1]\n"), StartsWith("cfg.yaml:1:10: control: expected a map"));
  }
}
