// [lua] Validation before use, the on_error policy, reload and the watcher.
#include <catch2/catch.hpp>

#include "lua/rule_watcher.h"
#include "test_lua_support.h"

#include <thread>

using namespace lua_test;
using sh::host::LuaRule;
using sh::host::LuaRuleConfig;
using sh::host::RuleWatcher;

namespace {

const char* const kV1 = "function detect(row, ctx) return 10, 'v1' end\n";
const char* const kV2 = "function detect(row, ctx) return 20, 'v2' end\n";

std::string only_class(LuaRule& rule, uint32_t symbol_count, sh_status* st = nullptr) {
  std::vector<Hit> hits;
  sh_status s = run(rule, {row(1)}, symbol_count, &hits);
  if (st) *st = s;
  return hits.size() == 1 ? hits[0].cls : "<" + std::to_string(hits.size()) + " hits>";
}

}  // namespace

TEST_CASE("a syntax error is refused at load with file:line", "[lua]") {
  std::string err;
  CHECK_FALSE(LuaRule::load(detector_config(fixture("syntax_error.lua")), &err));
  CHECK(err == fixture("syntax_error.lua") + ":3: unexpected symbol near '='");
}

TEST_CASE("runtime errors at load are refused with file:line", "[lua]") {
  std::string err;
  CHECK_FALSE(LuaRule::load(detector_config(fixture("field_typo.lua")), &err));
  CHECK(err == fixture("field_typo.lua") +
                   ":3: row has no field 'z_rett' (in the dry run on sample rows)");
  CHECK_FALSE(LuaRule::load(detector_config(fixture("top_level_error.lua")), &err));
  CHECK(err == fixture("top_level_error.lua") + ":3: threshold missing");
  CHECK_FALSE(LuaRule::load(detector_config(fixture("no_function.lua")), &err));
  CHECK(err == fixture("no_function.lua") +
                   ": rule defines no function 'detect' (required for a detector rule)");
  auto cfg = detector_config(fixture("classes.lua"));
  cfg.kind = sh::host::RuleKind::Risk;
  CHECK_FALSE(LuaRule::load(cfg, &err));
  CHECK(contains(err, "no function 'check' (required for a risk rule)"));
  CHECK_FALSE(LuaRule::load(detector_config(fixture("does_not_exist.lua")), &err));
  CHECK(contains(err, "does_not_exist.lua: cannot open rule file"));
  cfg = detector_config(fixture("classes.lua"));
  cfg.params_json = "{\"a\": [1, 2,}";
  CHECK_FALSE(LuaRule::load(cfg, &err));
  CHECK(contains(err, "classes.lua: params: bad value at byte 12"));
}

TEST_CASE("a runtime error disables the rule with on_error: disable", "[lua]") {
  auto cfg = detector_config(fixture("fails_on_999.lua"));
  cfg.on_error = LuaRuleConfig::OnError::Disable;
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  CHECK(only_class(*rule, 3) == "v_bad");
  sh_status st;
  CHECK(only_class(*rule, 999, &st) == "<0 hits>");
  CHECK(st == SH_ERR_INTERNAL);
  CHECK_FALSE(rule->enabled());
  CHECK(rule->last_error() == fixture("fails_on_999.lua") + ":5: attempt to index local 'missing' (a nil value)");
  CHECK(rule->stats().runtime_errors == 1);
  CHECK(only_class(*rule, 3, &st) == "<0 hits>");
  CHECK(st == SH_ERR_UNSUPPORTED);
  // A successful reload brings it back.
  CHECK(rule->reload("") == "");
  CHECK(rule->enabled());
  CHECK(only_class(*rule, 3) == "v_bad");
}

TEST_CASE("keep_last_good rolls a failing version back and serves the batch", "[lua]") {
  TempDir dir;
  const std::string path = dir.write("rule.lua", kV1);
  auto cfg = detector_config(path);
  cfg.on_error = LuaRuleConfig::OnError::KeepLastGood;
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  REQUIRE(rule);
  CHECK(only_class(*rule, 3) == "v1");
  CHECK(rule->reload(fixture("fails_on_999.lua")) == "");
  CHECK(rule->version() == 2);
  CHECK(only_class(*rule, 3) == "v_bad");
  sh_status st;
  CHECK(only_class(*rule, 999, &st) == "v1");  // the same batch, served by version 1
  CHECK(st == SH_OK);
  CHECK(rule->version() == 1);
  CHECK(rule->path() == path);
  CHECK(rule->stats().rollbacks == 1);
  CHECK(contains(rule->last_error(), "fails_on_999.lua:5: attempt to index"));
  CHECK(rule->enabled());
}

TEST_CASE("keep_last_good without a previous version disables", "[lua]") {
  auto cfg = detector_config(fixture("bad_score.lua"));
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  REQUIRE(rule);
  CHECK(run(*rule, {row(5)}, 999) == SH_ERR_INTERNAL);
  CHECK_FALSE(rule->enabled());
  CHECK(rule->last_error() == fixture("bad_score.lua") +
                                  ": detect() returned string as its score for row 0 (symbol 5); "
                                  "expected nil or a number 0..100");
}

TEST_CASE("a failed reload keeps the old version serving, a good one switches", "[lua]") {
  TempDir dir;
  const std::string path = dir.write("rule.lua", kV1);
  std::string err;
  auto rule = LuaRule::load(detector_config(path), &err);
  REQUIRE(rule);
  const std::string hash1 = rule->content_hash();
  CHECK(hash1.size() == 16);
  CHECK(rule->version() == 1);

  dir.write("rule.lua", "function detect(row, ctx)\n  return 1 +\nend\n");
  const std::string e = rule->reload("");
  CHECK(e == path + ":3: unexpected symbol near 'end'");
  CHECK(only_class(*rule, 3) == "v1");
  CHECK(rule->version() == 1);
  CHECK(rule->content_hash() == hash1);
  CHECK(rule->stats().reloads_failed == 1);

  dir.write("rule.lua", "function detect(row, ctx)\n  return row.nope\nend\n");  // fails the dry run
  CHECK(contains(rule->reload(""), path + ":2: row has no field 'nope'"));
  CHECK(only_class(*rule, 3) == "v1");

  dir.write("rule.lua", kV2);
  CHECK(rule->reload("") == "");
  CHECK(only_class(*rule, 3) == "v2");
  CHECK(rule->version() == 2);
  CHECK(rule->content_hash() != hash1);
  CHECK(rule->content_hash() == sh::host::content_hash_fnv1a64(kV2));
  CHECK(rule->stats().reloads_ok == 1);
}

TEST_CASE("prepare builds a candidate off the live rule, commit swaps it in", "[lua]") {
  TempDir dir;
  const std::string p1 = dir.write("a.lua", kV1);
  const std::string p2 = dir.write("b.lua", kV2);
  std::string err;
  auto rule = LuaRule::load(detector_config(p1), &err);
  REQUIRE(rule);
  sh::host::LuaRuleCandidatePtr cand;
  std::thread control([&] { cand = LuaRule::prepare(detector_config(p1), p2, &err); });
  control.join();
  REQUIRE(cand);
  CHECK(only_class(*rule, 3) == "v1");  // nothing changed yet
  rule->commit(std::move(cand));
  CHECK(only_class(*rule, 3) == "v2");
  CHECK(rule->path() == p2);
}

TEST_CASE("the watcher reports a changed rule file once", "[lua]") {
  for (auto mode : {RuleWatcher::Mode::Inotify, RuleWatcher::Mode::Polling}) {
    TempDir dir;
    const std::string path = dir.write("rule.lua", kV1);
    dir.write("notes.txt", "not a rule");
    RuleWatcher w({dir.path}, mode);
    CHECK(w.using_inotify() == (mode == RuleWatcher::Mode::Inotify));
    CHECK(w.poll_changed().empty());  // existing files are the baseline
    dir.write("rule.lua", kV2);
    dir.write("notes.txt", "still not a rule");
    CHECK(w.poll_changed() == std::vector<std::string>{path});
    CHECK(w.poll_changed().empty());
    dir.write("rule.lua", kV2);  // rewritten, same content: nothing to reload
    CHECK(w.poll_changed().empty());
    const std::string added = dir.write("new_rule.lua", kV1);
    CHECK(w.poll_changed() == std::vector<std::string>{added});
  }
}

TEST_CASE("the watcher and reload together pick up an edit", "[lua]") {
  TempDir dir;
  const std::string path = dir.write("rule.lua", kV1);
  std::string err;
  auto rule = LuaRule::load(detector_config(path), &err);
  REQUIRE(rule);
  RuleWatcher w({dir.path});
  dir.write("rule.lua", kV2);
  for (const std::string& changed : w.poll_changed()) {
    if (changed == rule->path()) CHECK(rule->reload("") == "");
  }
  CHECK(only_class(*rule, 3) == "v2");
}
