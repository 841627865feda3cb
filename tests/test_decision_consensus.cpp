// Consensus fusion and the model router: the runbook's expert weights,
// renormalisation when experts abstain or send NaN, bad weights refused,
// router minimum confidence, hysteresis, pause/resume and switch records.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "decision/consensus.h"
#include "decision/model_router.h"
#include "store/state_store.h"

using namespace sh::host;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z
constexpr int64_t kMinuteNs = 60LL * 1000000000;

sh_evidence ev(sh_symbol_id sym, double pl, double ps, double conf, uint32_t flags = 0) {
  sh_evidence e{};
  e.struct_size = sizeof e;
  e.symbol = sym;
  e.flags = flags;
  e.prob_long = pl;
  e.prob_short = ps;
  e.confidence = conf;
  return e;
}

ConsensusConfig runbook_config() {
  ConsensusConfig c;
  c.weights = {{"fsm", 0.3}, {"classifier", 0.3}, {"anomaly", 0.2}, {"divergence", 0.2}};
  c.threshold = 0.6;
  c.min_confidence = 0.5;
  return c;
}

std::unique_ptr<Consensus> make_consensus(ConsensusConfig c) {
  std::unique_ptr<Consensus> out;
  Status st = Consensus::create(std::move(c), &out);
  INFO(st.to_string());
  REQUIRE(st.ok());
  return out;
}

// One evidence array per expert (one symbol each).
struct Minute {
  std::vector<std::string> names;
  std::vector<std::vector<sh_evidence>> arrays;
  std::vector<ExpertEvidence> views() const {
    std::vector<ExpertEvidence> v;
    for (size_t k = 0; k < names.size(); ++k) {
      ExpertEvidence e;
      e.name = names[k];
      e.items = arrays[k].data();
      e.count = static_cast<uint32_t>(arrays[k].size());
      v.push_back(e);
    }
    return v;
  }
};

}  // namespace

TEST_CASE("consensus fuses with the runbook weights into the runbook record", "[decision]") {
  auto c = make_consensus(runbook_config());
  const sh_symbol_id sym = 7;
  Minute m;
  m.names = {"fsm", "classifier", "anomaly", "divergence"};
  m.arrays = {{ev(sym, 0.8, 0.2, 0.7)},
              {ev(sym, 0.7, 0.3, 0.6)},
              {ev(sym, 0.9, 0.1, 0.8)},
              {ev(sym, 0.6, 0.4, 0.5)}};
  const auto views = m.views();
  std::vector<ConsensusRecord> out;
  const std::string_view version = "20241201_143022";
  REQUIRE(c->fuse(&sym, 1, views, &version, &out).ok());
  REQUIRE(out.size() == 1);
  const ConsensusRecord& r = out[0];
  // 0.3*0.8 + 0.3*0.7 + 0.2*0.9 + 0.2*0.6 = 0.75
  CHECK(r.prob_long == Approx(0.75));
  CHECK(r.prob_short == Approx(0.25));
  // 0.3*0.7 + 0.3*0.6 + 0.2*0.8 + 0.2*0.5 = 0.65
  CHECK(r.confidence == Approx(0.65));
  CHECK(r.signal == Signal::kLong);
  CHECK(r.allow);
  CHECK(r.experts_used == 4);
  CHECK(r.weight_used == Approx(1.0));
  CHECK(r.model_version == "20241201_143022");

  // The runbook's example answer, field for field in its order.
  ConsensusRecord exact = r;
  exact.prob_long = 0.75;
  exact.prob_short = 0.25;
  exact.confidence = 0.65;
  CHECK(consensus_to_json(exact, "BTCUSDT") ==
        "{\"symbol\":\"BTCUSDT\",\"signal\":\"long\",\"prob_long\":0.75,\"prob_short\":0.25,"
        "\"confidence\":0.65,\"model_version\":\"20241201_143022\",\"allow\":true,"
        "\"threshold\":0.6}");
}

TEST_CASE("consensus renormalises the weights when experts abstain or send NaN", "[decision]") {
  auto c = make_consensus(runbook_config());
  const sh_symbol_id sym = 3;
  Minute m;
  m.names = {"fsm", "classifier", "anomaly", "divergence"};
  m.arrays = {{ev(sym, 0.2, 0.8, 0.9)},                            // votes
              {ev(sym, 0.9, 0.1, 0.9, SH_EVIDENCE_FLAG_ABSTAIN)},  // abstains
              {ev(sym, kNaN, 0.5, 0.9)},                           // NaN: excluded
              {ev(sym, 0.4, 0.6, 0.6)}};                           // votes
  const auto views = m.views();
  std::vector<ConsensusRecord> out;
  REQUIRE(c->fuse(&sym, 1, views, nullptr, &out).ok());
  const ConsensusRecord& r = out[0];
  // Only fsm (0.3) and divergence (0.2) vote: weights 0.6 / 0.4.
  CHECK(r.experts_used == 2);
  CHECK(r.weight_used == Approx(0.5));
  CHECK(r.prob_long == Approx(0.6 * 0.2 + 0.4 * 0.4));
  CHECK(r.prob_short == Approx(0.6 * 0.8 + 0.4 * 0.6));
  CHECK(r.confidence == Approx(0.6 * 0.9 + 0.4 * 0.6));
  CHECK(r.signal == Signal::kShort);
  CHECK(r.allow);
  CHECK(r.model_version == "consensus");  // no router version given

  SECTION("every expert abstains or is invalid: no signal") {
    m.arrays = {{ev(sym, 0.9, 0.1, 0.9, SH_EVIDENCE_FLAG_ABSTAIN)},
                {ev(sym, 0.9, 0.1, kNaN)},
                {ev(sym, 1.5, 0.1, 0.9)},   // out of range
                {ev(99, 0.9, 0.1, 0.9)}};   // another symbol's record
    const auto v2 = m.views();
    REQUIRE(c->fuse(&sym, 1, v2, nullptr, &out).ok());
    CHECK(out[0].signal == Signal::kFlat);
    CHECK_FALSE(out[0].allow);
    CHECK(out[0].experts_used == 0);
    CHECK(std::isnan(out[0].prob_long));
    CHECK(out[0].confidence == 0.0);
    CHECK(consensus_to_json(out[0], "X").find("\"prob_long\":null") != std::string::npos);
  }
}

TEST_CASE("consensus threshold and min_confidence decide signal and allow", "[decision]") {
  ConsensusConfig cfg;
  cfg.weights = {{"a", 1.0}};
  cfg.threshold = 0.6;
  cfg.min_confidence = 0.7;
  auto c = make_consensus(cfg);
  const sh_symbol_id sym = 1;
  std::vector<sh_evidence> a(1);
  std::vector<ExpertEvidence> views(1);
  views[0].name = "a";
  views[0].items = a.data();
  views[0].count = 1;
  std::vector<ConsensusRecord> out;

  a[0] = ev(sym, 0.55, 0.45, 0.9);  // below threshold
  REQUIRE(c->fuse(&sym, 1, views, nullptr, &out).ok());
  CHECK(out[0].signal == Signal::kFlat);
  CHECK_FALSE(out[0].allow);

  a[0] = ev(sym, 0.65, 0.35, 0.69);  // direction, but not confident enough
  REQUIRE(c->fuse(&sym, 1, views, nullptr, &out).ok());
  CHECK(out[0].signal == Signal::kLong);
  CHECK_FALSE(out[0].allow);

  a[0] = ev(sym, 0.65, 0.35, 0.7);
  REQUIRE(c->fuse(&sym, 1, views, nullptr, &out).ok());
  CHECK(out[0].allow);
}

TEST_CASE("consensus refuses weights that are not usable, naming the weight", "[decision]") {
  std::unique_ptr<Consensus> c;
  ConsensusConfig cfg = runbook_config();

  cfg.weights["anomaly"] = -0.2;
  Status st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("consensus.weights.anomaly") != std::string::npos);
  CHECK(st.message().find("negative") != std::string::npos);

  cfg = runbook_config();
  cfg.weights["fsm"] = kNaN;
  st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("consensus.weights.fsm") != std::string::npos);

  cfg = runbook_config();
  cfg.weights["classifier"] = std::numeric_limits<double>::infinity();
  st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("consensus.weights.classifier") != std::string::npos);
  CHECK(st.message().find("not a finite number") != std::string::npos);

  cfg.weights = {{"a", 0.0}, {"b", 0.0}};
  st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("not a usable total") != std::string::npos);

  cfg.weights.clear();
  st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("consensus.weights: empty") != std::string::npos);

  cfg = runbook_config();
  cfg.threshold = 1.5;
  st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("consensus.threshold: 1.5 is outside 0..1") != std::string::npos);
  CHECK(c == nullptr);

  cfg = runbook_config();
  cfg.min_confidence = -0.1;
  st = Consensus::create(cfg, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("consensus.min_confidence") != std::string::npos);
  CHECK(st.message().find("outside 0..1") != std::string::npos);

  // Weights that do not sum to 1 are normalised, not refused.
  cfg = runbook_config();
  cfg.weights = {{"a", 3.0}, {"b", 1.0}};
  REQUIRE(Consensus::create(cfg, &c).ok());

  // An expert without a weight is an error at fuse and at check_experts.
  CHECK_FALSE(c->check_experts({"a", "zzz"}).ok());
  CHECK(c->check_experts({"a", "b"}).ok());
  const sh_symbol_id sym = 1;
  std::vector<sh_evidence> z{ev(sym, 0.9, 0.1, 0.9)};
  std::vector<ExpertEvidence> views(1);
  views[0].name = "zzz";
  views[0].items = z.data();
  views[0].count = 1;
  std::vector<ConsensusRecord> out;
  st = c->fuse(&sym, 1, views, nullptr, &out);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("'zzz'") != std::string::npos);
}

// ---------------------------------------------------------------------------
// Model router
// ---------------------------------------------------------------------------

namespace {

struct RouterFixture {
  std::vector<std::string> names{"momentum_v1", "momentum_v2"};
  std::vector<sh_symbol_id> symbols{1, 2};
  std::vector<std::vector<sh_evidence>> arrays{std::vector<sh_evidence>(2),
                                               std::vector<sh_evidence>(2)};
  std::unique_ptr<ModelRouter> router;

  explicit RouterFixture(double hysteresis = 0.05, uint32_t confirm = 2) {
    ModelRouterConfig c;
    c.candidates = names;
    c.min_confidence = 0.6;
    c.hysteresis = hysteresis;
    c.confirm_minutes = confirm;
    Status st = ModelRouter::create(c, &router);
    REQUIRE(st.ok());
  }
  // Sets symbol row i's confidences of both models.
  void set(size_t i, double c1, double c2) {
    arrays[0][i] = ev(symbols[i], 0.5, 0.5, c1);
    arrays[1][i] = ev(symbols[i], 0.5, 0.5, c2);
  }
  std::vector<SwitchRecord> step(int minute) {
    std::vector<ExpertEvidence> v(2);
    for (size_t k = 0; k < 2; ++k) {
      v[k].name = names[k];
      v[k].items = arrays[k].data();
      v[k].count = 2;
    }
    std::vector<SwitchRecord> sw;
    Status st = router->route(kT0 + minute * kMinuteNs, symbols.data(), symbols.size(), v, &sw);
    REQUIRE(st.ok());
    return sw;
  }
};

}  // namespace

TEST_CASE("router needs the minimum confidence before choosing a model", "[decision]") {
  RouterFixture f;
  f.set(0, 0.5, 0.55);  // nobody eligible
  f.set(1, 0.59, 0.7);  // v2 eligible
  auto sw = f.step(0);
  REQUIRE(sw.size() == 1);
  CHECK(sw[0].symbol == 2);
  CHECK(sw[0].from.empty());
  CHECK(sw[0].to == "momentum_v2");
  CHECK(sw[0].reason == "initial");
  CHECK(f.router->active(1).empty());
  CHECK(f.router->active(2) == "momentum_v2");

  f.set(0, 0.61, 0.6);
  sw = f.step(1);
  REQUIRE(sw.size() == 1);
  CHECK(f.router->active(1) == "momentum_v1");  // ties / order: best first
}

TEST_CASE("router switches only after the hysteresis holds for confirm_minutes", "[decision]") {
  RouterFixture f(0.05, 2);
  f.set(0, 0.7, 0.65);
  f.set(1, 0.7, 0.65);
  REQUIRE(f.step(0).size() == 2);  // both start on v1
  CHECK(f.router->active(1) == "momentum_v1");

  f.set(0, 0.7, 0.74);  // better, but by less than the hysteresis
  CHECK(f.step(1).empty());
  f.set(0, 0.7, 0.76);  // first minute beyond the hysteresis
  CHECK(f.step(2).empty());
  f.set(0, 0.7, 0.72);  // falls back: the count restarts
  CHECK(f.step(3).empty());
  f.set(0, 0.7, 0.8);
  CHECK(f.step(4).empty());
  auto sw = f.step(5);  // second consecutive minute
  REQUIRE(sw.size() == 1);
  CHECK(sw[0].ts_ns == kT0 + 5 * kMinuteNs);
  CHECK(sw[0].symbol == 1);
  CHECK(sw[0].from == "momentum_v1");
  CHECK(sw[0].to == "momentum_v2");
  CHECK(sw[0].reason == "challenger_confirmed");
  REQUIRE(sw[0].confidences.size() == 2);
  CHECK(sw[0].confidences[0] == 0.7);
  CHECK(sw[0].confidences[1] == 0.8);
  CHECK(f.router->active(1) == "momentum_v2");
  CHECK(f.router->active(2) == "momentum_v1");  // symbol 2 untouched
  CHECK(switch_record_to_json(sw[0], "BTCUSDT", f.names) ==
        "{\"ts\":\"2024-01-02T00:05:00Z\",\"ts_ns\":1704153900000000000,\"symbol\":\"BTCUSDT\","
        "\"from\":\"momentum_v1\",\"to\":\"momentum_v2\",\"reason\":\"challenger_confirmed\","
        "\"confidences\":{\"momentum_v1\":0.7,\"momentum_v2\":0.8}}");

  SECTION("an incumbent below the minimum is replaced at once") {
    f.set(0, 0.7, 0.5);  // v2 (incumbent) drops below 0.6
    sw = f.step(6);
    REQUIRE(sw.size() == 1);
    CHECK(sw[0].reason == "incumbent_below_min_confidence");
    CHECK(f.router->active(1) == "momentum_v1");
  }
  SECTION("NaN or abstaining evidence is not a candidate") {
    f.arrays[0][0] = ev(1, 0.5, 0.5, kNaN);
    f.arrays[1][0] = ev(1, 0.5, 0.5, 0.9, SH_EVIDENCE_FLAG_ABSTAIN);
    CHECK(f.step(6).empty());  // nobody eligible: keep v2
    CHECK(f.router->active(1) == "momentum_v2");
  }
}

TEST_CASE("a paused router keeps its models and records nothing", "[decision]") {
  RouterFixture f(0.05, 1);
  f.set(0, 0.7, 0.6);
  f.set(1, 0.7, 0.6);
  REQUIRE(f.step(0).size() == 2);
  f.router->pause();
  CHECK(f.router->paused());
  f.set(0, 0.6, 0.9);
  f.set(1, 0.2, 0.9);
  CHECK(f.step(1).empty());
  CHECK(f.step(2).empty());
  CHECK(f.router->active(1) == "momentum_v1");
  CHECK(f.router->active(2) == "momentum_v1");
  f.router->resume();
  auto sw = f.step(3);
  CHECK(sw.size() == 2);
  CHECK(f.router->active(1) == "momentum_v2");
}

TEST_CASE("router config is validated", "[decision]") {
  std::unique_ptr<ModelRouter> r;
  ModelRouterConfig c;
  auto refusal = [&]() {
    const Status st = ModelRouter::create(c, &r);
    CHECK_FALSE(st.ok());
    return st.message();
  };
  CHECK(refusal().find("model_router.candidates: empty") != std::string::npos);
  c.candidates = {"a", "a"};
  CHECK(refusal().find("'a' listed twice") != std::string::npos);
  c.candidates = {"a", "b"};
  c.hysteresis = -0.1;
  CHECK(refusal().find("model_router.hysteresis: -0.1 is outside 0..1") != std::string::npos);
  c.hysteresis = 0.05;
  c.confirm_minutes = 0;
  CHECK(refusal().find("model_router.confirm_minutes: must be >= 1") != std::string::npos);
  c.confirm_minutes = 1;
  c.min_confidence = kNaN;
  CHECK(refusal().find("model_router.min_confidence") != std::string::npos);
  c.min_confidence = 0.5;
  REQUIRE(ModelRouter::create(c, &r).ok());
}

TEST_CASE("switch history in LMDB restores the router after a restart", "[decision]") {
  char tmpl[] = "/tmp/sh_decision_router_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  {
    RouterFixture f(0.05, 1);
    f.set(0, 0.7, 0.6);
    f.set(1, 0.6, 0.7);
    auto sw = f.step(0);
    f.set(0, 0.6, 0.9);
    auto sw2 = f.step(1);
    sw.insert(sw.end(), sw2.begin(), sw2.end());
    REQUIRE(sw.size() == 3);

    StateStoreOptions o;
    o.dir = dir;
    std::unique_ptr<StateStore> store;
    REQUIRE(StateStore::open(o, &store).ok());
    MinuteWrite mw;
    mw.minute_ts_ns = kT0;
    Status st = store->write_minute(mw, [&](StateTxn& txn) {
      for (const auto& r : sw) {
        Status s = append_switch_history(txn, r, r.symbol == 1 ? "AAA" : "BBB", f.names);
        if (!s.ok()) return s;
      }
      return Status::Ok();
    });
    REQUIRE(st.ok());
  }
  {
    RouterFixture f;
    StateStoreOptions o;
    o.dir = dir;
    std::unique_ptr<StateStore> store;
    REQUIRE(StateStore::open(o, &store).ok());
    StateTxn txn;
    REQUIRE(store->begin_read(&txn).ok());
    std::vector<std::string> seen;
    REQUIRE(restore_router_from_history(txn, f.router.get(), [&](std::string_view name) {
              seen.emplace_back(name);
              return name == "AAA" ? sh_symbol_id{1} : sh_symbol_id{2};
            }).ok());
    CHECK(seen == std::vector<std::string>{"AAA", "BBB", "AAA"});  // time order
    CHECK(f.router->active(1) == "momentum_v2");  // the last switch wins
    CHECK(f.router->active(2) == "momentum_v2");
  }
  std::filesystem::remove_all(dir);
}
