// The event gate: dq, debounce, cooldown and budget with exact time edges,
// counters, budget utilization, severity, config, saved state.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_gate.h"

using namespace sh::host;

namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z

EventCandidate hit(const std::string& symbol, int64_t ts, const std::string& cls = "spike",
                   double score = 50, sh_dq_status dq = SH_DQ_OK) {
  EventCandidate c;
  c.symbol = symbol;
  c.minute_ts_ns = ts;
  c.hit_class = cls;
  c.score = score;
  c.value = 4.2;
  c.threshold = 3;
  c.detector = "spike_det";
  c.detector_version = "1.0.0";
  c.dq = dq;
  return c;
}

EventGateConfig config(int64_t debounce_ms, int64_t cooldown_ms, int64_t budget) {
  EventGateConfig c;
  c.defaults.debounce_ms = debounce_ms;
  c.defaults.cooldown_ms = cooldown_ms;
  c.defaults.budget_per_hour = budget;
  return c;
}

SuppressReason offer(EventGate& g, const EventCandidate& c) { return g.offer(c).reason; }

}  // namespace

TEST_CASE("gate defaults match the runbook", "[events]") {
  EventGateConfig c;
  CHECK(c.defaults.debounce_ms == 180000);
  CHECK(c.defaults.cooldown_ms == 900000);
  CHECK(c.defaults.budget_per_hour == 60);
  CHECK(c.defaults.suppress_when_dq_not_ok);
  CHECK(c.defaults.weight == 1.0);
}

TEST_CASE("dq: hits on rows with dq != ok are suppressed and start no episode", "[events]") {
  EventGate g(config(180000, 0, 100));
  auto d = g.offer(hit("BTC", kT0, "spike", 50, SH_DQ_STALE_BOOK));
  CHECK(d.reason == SuppressReason::kDq);
  CHECK_FALSE(d.published());
  CHECK(d.record.seq == 0);
  // One minute later with good data: not debounced by the untrusted hit.
  CHECK(offer(g, hit("BTC", kT0 + kMin)) == SuppressReason::kNone);
  CHECK(g.suppressed(SuppressReason::kDq, "spike") == 1);

  EventGateConfig lax = config(0, 0, 100);
  lax.classes["gap_ok"] = lax.defaults;
  lax.classes["gap_ok"].suppress_when_dq_not_ok = false;
  EventGate g2(lax);
  CHECK(offer(g2, hit("BTC", kT0, "gap_ok", 50, SH_DQ_GAP)) == SuppressReason::kNone);
  CHECK(offer(g2, hit("BTC", kT0, "spike", 50, SH_DQ_GAP)) == SuppressReason::kDq);
}

TEST_CASE("debounce: within debounce_ms of the previous hit is the same episode", "[events]") {
  EventGate g(config(180000, 0, 100));
  // Edge: 1 ns short of 3 minutes is debounced, exactly 3 minutes is not.
  CHECK(offer(g, hit("A", kT0)) == SuppressReason::kNone);
  CHECK(offer(g, hit("A", kT0 + 3 * kMin - 1)) == SuppressReason::kDebounce);
  CHECK(offer(g, hit("B", kT0)) == SuppressReason::kNone);
  CHECK(offer(g, hit("B", kT0 + 3 * kMin)) == SuppressReason::kNone);
  // Every hit extends the episode, published or not.
  CHECK(offer(g, hit("C", kT0)) == SuppressReason::kNone);
  CHECK(offer(g, hit("C", kT0 + 2 * kMin)) == SuppressReason::kDebounce);
  CHECK(offer(g, hit("C", kT0 + 4 * kMin)) == SuppressReason::kDebounce);
  CHECK(offer(g, hit("C", kT0 + 6 * kMin)) == SuppressReason::kDebounce);
  CHECK(offer(g, hit("C", kT0 + 9 * kMin - 1)) == SuppressReason::kDebounce);
  CHECK(offer(g, hit("C", kT0 + 12 * kMin - 1)) == SuppressReason::kNone);
  // Per symbol AND class.
  CHECK(offer(g, hit("A", kT0 + kMin, "other")) == SuppressReason::kNone);
  CHECK(g.suppressed(SuppressReason::kDebounce, "spike") == 5);
}

TEST_CASE("cooldown: within cooldown_ms of the last publish", "[events]") {
  EventGate g(config(0, 900000, 100));
  CHECK(offer(g, hit("A", kT0)) == SuppressReason::kNone);
  CHECK(offer(g, hit("A", kT0 + 5 * kMin)) == SuppressReason::kCooldown);
  // Suppressed hits do not restart the cooldown: it runs from the publish.
  CHECK(offer(g, hit("A", kT0 + 15 * kMin - 1)) == SuppressReason::kCooldown);
  CHECK(offer(g, hit("A", kT0 + 15 * kMin)) == SuppressReason::kNone);
  CHECK(offer(g, hit("A", kT0 + 16 * kMin)) == SuppressReason::kCooldown);
  CHECK(offer(g, hit("B", kT0 + 16 * kMin)) == SuppressReason::kNone);
  CHECK(g.suppressed(SuppressReason::kCooldown, "spike") == 3);
}

TEST_CASE("checks run in order dq, debounce, cooldown, budget", "[events]") {
  EventGate g(config(180000, 900000, 1));
  CHECK(offer(g, hit("A", kT0)) == SuppressReason::kNone);
  // Inside debounce and cooldown and over budget, bad dq: dq wins.
  CHECK(offer(g, hit("A", kT0 + kMin, "spike", 50, SH_DQ_GAP)) == SuppressReason::kDq);
  // Inside debounce and cooldown and over budget: debounce wins.
  CHECK(offer(g, hit("A", kT0 + kMin)) == SuppressReason::kDebounce);
  // Episode over (4 min gap), still cooling down and over budget: cooldown.
  CHECK(offer(g, hit("A", kT0 + 5 * kMin)) == SuppressReason::kCooldown);
  // Another symbol: only the class budget is left.
  CHECK(offer(g, hit("B", kT0 + 5 * kMin)) == SuppressReason::kBudget);
}

TEST_CASE("budget: rolling 60 minutes of event time per class across symbols", "[events]") {
  EventGate g(config(0, 0, 3));
  CHECK(offer(g, hit("S1", kT0)) == SuppressReason::kNone);
  CHECK(offer(g, hit("S2", kT0 + 10 * kMin)) == SuppressReason::kNone);
  CHECK(offer(g, hit("S3", kT0 + 20 * kMin)) == SuppressReason::kNone);
  CHECK(g.budget_utilization("spike", kT0 + 20 * kMin) == 1.0);
  CHECK(offer(g, hit("S4", kT0 + 30 * kMin)) == SuppressReason::kBudget);
  CHECK(offer(g, hit("X", kT0 + 30 * kMin, "other")) == SuppressReason::kNone);  // per class
  // The publish at kT0 is inside (t - 1h, t] until exactly one hour later.
  CHECK(offer(g, hit("S5", kT0 + 60 * kMin - 1)) == SuppressReason::kBudget);
  CHECK(offer(g, hit("S5", kT0 + 60 * kMin)) == SuppressReason::kNone);
  CHECK(offer(g, hit("S6", kT0 + 60 * kMin)) == SuppressReason::kBudget);
  // Suppressed hits do not use budget.
  CHECK(g.budget_utilization("spike", kT0 + 60 * kMin) == 1.0);
  CHECK(g.budget_utilization("spike", kT0 + 80 * kMin) == Approx(1.0 / 3));
  CHECK(g.budget_utilization("spike", kT0 + 200 * kMin) == 0.0);
  CHECK(g.budget_utilization("never_seen", kT0) == 0.0);
  auto all = g.budget_utilizations(kT0 + 60 * kMin);
  REQUIRE(all.size() == 2);
  CHECK(all[0].first == "other");
  CHECK(all[0].second == Approx(1.0 / 3));  // one publish of budget 3
  CHECK(all[1] == std::pair<std::string, double>("spike", 1.0));
}

TEST_CASE("counters by reason and class, sorted by name, seq only for publishes",
          "[events]") {
  EventGate g(config(180000, 900000, 60), /*next_seq=*/41);
  auto a = g.offer(hit("A", kT0));
  auto b = g.offer(hit("A", kT0 + kMin));
  auto c = g.offer(hit("B", kT0, "flow", 10, SH_DQ_NO_TRADES));
  auto d = g.offer(hit("B", kT0, "flow"));
  auto e = g.offer(hit("A", kT0 + 10 * kMin));
  CHECK(a.record.seq == 41);
  CHECK(b.record.seq == 0);
  CHECK(c.record.seq == 0);
  CHECK(d.record.seq == 42);
  CHECK(e.reason == SuppressReason::kCooldown);
  CHECK(g.next_seq() == 43);
  CHECK(g.published("spike") == 1);
  using C = std::vector<std::pair<std::string, uint64_t>>;
  CHECK(g.counters() == C{{"events.published.flow", 1},
                          {"events.published.spike", 1},
                          {"events.suppressed.cooldown.spike", 1},
                          {"events.suppressed.debounce.spike", 1},
                          {"events.suppressed.dq.flow", 1}});
  CHECK(std::string(suppress_reason_name(SuppressReason::kBudget)) == "budget");
}

TEST_CASE("severity = round(clamp(score * class weight, 0, 100))", "[events]") {
  EventGateConfig c = config(0, 0, 1000);
  c.classes["heavy"] = c.defaults;
  c.classes["heavy"].weight = 1.2;
  EventGate g(c);
  auto sev = [&](const std::string& cls, double score) {
    return g.offer(hit("S" + std::to_string(score), kT0, cls, score)).record.severity;
  };
  CHECK(sev("spike", 62.5) == 63);  // half away from zero
  CHECK(sev("spike", 62.4) == 62);
  CHECK(sev("spike", -5) == 0);
  CHECK(sev("spike", 250) == 100);
  CHECK(sev("spike", std::numeric_limits<double>::quiet_NaN()) == 0);
  CHECK(sev("heavy", 50) == 60);
  CHECK(sev("heavy", 90) == 100);
  // Suppressed decisions carry the severity too (shadow logs).
  auto d = g.offer(hit("D", kT0, "heavy", 40, SH_DQ_GAP));
  CHECK(d.reason == SuppressReason::kDq);
  CHECK(d.record.severity == 48);
  CHECK(d.record.symbol == "D");
}

TEST_CASE("gate config from JSON: per-class overrides on top of defaults", "[events]") {
  const auto j = nlohmann::json::parse(R"({
    "cooldown_ms": 600000, "weight": 0.5,
    "classes": {"return_spike": {"budget_per_hour": 5, "weight": 1.2},
                "gap": {"suppress_when_dq_not_ok": false}}})");
  EventGateConfig c;
  REQUIRE(EventGateConfig::from_json(j, &c).ok());
  CHECK(c.defaults.cooldown_ms == 600000);
  CHECK(c.defaults.debounce_ms == 180000);
  const auto& rs = c.policy_for("return_spike");
  CHECK(rs.budget_per_hour == 5);
  CHECK(rs.weight == 1.2);
  CHECK(rs.cooldown_ms == 600000);  // inherited from the defaults
  CHECK_FALSE(c.policy_for("gap").suppress_when_dq_not_ok);
  CHECK(c.policy_for("anything").weight == 0.5);

  Status st = EventGateConfig::from_json(nlohmann::json::parse(R"({"cooldown": 1})"), &c);
  CHECK(st.message() == "events: unknown key \"cooldown\"");
  st = EventGateConfig::from_json(
      nlohmann::json::parse(R"({"classes": {"x": {"debounce_ms": -1}}})"), &c);
  CHECK(st.message() == "events.classes.x.debounce_ms out of range");
  st = EventGateConfig::from_json(nlohmann::json::parse(R"({"budget_per_hour": "ten"})"), &c);
  CHECK(st.message() == "events.budget_per_hour: expected an integer");
}

TEST_CASE("gate state survives a restart through save_state/restore_state", "[events]") {
  EventGate g(config(180000, 900000, 2));
  REQUIRE(g.offer(hit("A", kT0)).published());
  REQUIRE(g.offer(hit("B", kT0 + kMin)).published());
  const std::string saved = g.save_state();
  CHECK(saved == g.save_state());  // deterministic

  EventGate fresh(config(180000, 900000, 2));
  REQUIRE(fresh.restore_state(saved).ok());
  CHECK(fresh.next_seq() == 3);
  CHECK(offer(fresh, hit("A", kT0 + 10 * kMin)) == SuppressReason::kCooldown);
  CHECK(offer(fresh, hit("C", kT0 + 10 * kMin)) == SuppressReason::kBudget);
  CHECK(fresh.restore_state("{").code() == Status::Code::kCorruption);

  // Hot reload keeps history; the new limits apply at once.
  REQUIRE(fresh.set_config(config(0, 0, 10)).ok());
  CHECK(offer(fresh, hit("A", kT0 + 11 * kMin)) == SuppressReason::kNone);
  CHECK(fresh.set_config(config(-1, 0, 1)).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("changed keys: each offered (symbol, class) once until forgotten, and dq-suppressed hits change nothing", "[events]") {
  EventGate g(config(180000, 900000, 10));
  auto rows = [&] {
    std::vector<std::string> out;
    g.save_changed_keys([&](std::string_view k, std::string_view v) {
      out.push_back(std::string(k) + "=" + std::string(v));
    });
    return out;
  };
  CHECK_FALSE(g.has_changed_keys());
  g.offer(hit("A", kT0, "spike", 50, SH_DQ_GAP));
  CHECK(rows().empty());
  g.offer(hit("A", kT0));
  g.offer(hit("A", kT0 + kMin));  // debounced: the same key again
  g.offer(hit("B\"x", kT0, "volume"));
  const std::vector<std::string> expect = {
      "[\"A\",\"spike\"]=[\"A\",\"spike\"," + std::to_string(kT0 + kMin) + "," + std::to_string(kT0) + "]",
      "[\"B\\\"x\",\"volume\"]=[\"B\\\"x\",\"volume\"," + std::to_string(kT0) + "," + std::to_string(kT0) + "]"};
  CHECK(rows() == expect);
  CHECK(rows() == expect);  // repeatable until forgotten (a retried write)
  g.forget_changed();
  CHECK(rows().empty());
  CHECK(g.save_header().find("\"keys\":[]") != std::string::npos);

  EventGate fresh(config(180000, 900000, 10));
  REQUIRE(fresh.restore_state(g.save_header()).ok());
  for (const std::string& r : expect) REQUIRE(fresh.restore_key(r.substr(r.find("=[") + 1)).ok());
  CHECK(fresh.save_state() == g.save_state());
  const Status bad = fresh.restore_key("[\"A\",\"spike\",1]");
  CHECK(bad.code() == Status::Code::kCorruption);
  CHECK(bad.message() == "event gate state: bad key row [\"A\",\"spike\",1]");
}
