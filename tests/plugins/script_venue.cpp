// A venue for the host's end-to-end venue tests (tests/test_run_venue*.cpp):
// by default NOT simulated (it stands for a real exchange), it writes every
// call the host makes into a journal file so a test can see exactly what
// reached "the market", and it misbehaves on request:
//
//   behaviour fill          ACKNOWLEDGED, then FILLED at the order's ref_price
//             silent        nothing at all (never acknowledged)
//             reject        REJECTED with reject_reason (a sh_venue_reason)
//             unknown_fill  acknowledges and fills the order, then reports a
//                           fill for an id the host never sent ("ghost-N")
//             garbage       ACKNOWLEDGED, then a "fill" with a NaN price
//             fail          submit returns SH_ERR_INTERNAL with no report
//
// delay_ms: each submit sleeps this long after its journal line (an order in
// flight, for the kill -9 test).
// Journal lines: "submit <client id> <symbol> <buy|sell> <qty>", "cancel <id>".
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <chrono>
#include <thread>

class ScriptVenue final : public sh::Venue {
 public:
  static constexpr const char* kName = "script_venue";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "test venue: journals every call, fills at ref_price or misbehaves on request";
  static constexpr const char* kConfigSchema = R"({
    "type": "object",
    "properties": {
      "journal": {"type": "string", "format": "path"},
      "behaviour": {"type": "string",
                    "enum": ["fill", "silent", "reject", "unknown_fill", "garbage", "fail"],
                    "default": "fill"},
      "reject_reason": {"type": "integer", "minimum": 0, "maximum": 11, "default": 7},
      "simulated": {"type": "boolean", "default": false},
      "delay_ms": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0}
    },
    "required": ["journal"],
    "additionalProperties": false
  })";

  ScriptVenue(const sh::Host& host, const sh::Json& config)
      : sh::Venue(host),
        journal_(config.at("journal").get<std::string>(), std::ios::app),
        behaviour_(config.value("behaviour", "fill")),
        reject_reason_(config.value("reject_reason", 7)),
        simulated_(config.value("simulated", false)),
        delay_ms_(config.value("delay_ms", 0)) {
    if (!journal_) throw sh::ConfigError("journal: cannot open " + config.at("journal").get<std::string>());
  }

  sh_venue_capabilities capabilities() const override {
    sh_venue_capabilities c{};
    c.flags = simulated_ ? SH_VENUE_SIMULATED : 0u;
    c.order_types = (1u << SH_ORDER_MARKET) | (1u << SH_ORDER_LIMIT);
    c.time_in_force = (1u << SH_TIF_GTC) | (1u << SH_TIF_IOC) | (1u << SH_TIF_FOK);
    c.maker_fee_bps = 0.0;
    c.taker_fee_bps = 0.0;
    return c;
  }

  sh_status submit(const sh_venue_order& o, const sh::VenueSink& sink) override {
    journal_ << "submit " << o.client_order_id << ' ' << host().symbol_name(o.symbol) << ' '
             << (o.side == SH_SIDE_BUY ? "buy" : "sell") << ' ' << o.qty << '\n';
    journal_.flush();
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    if (behaviour_ == "silent") return SH_OK;
    if (behaviour_ == "fail") return SH_ERR_INTERNAL;
    sh_venue_report r = report(o, SH_ORDER_ACKNOWLEDGED);
    if (behaviour_ == "reject") {
      r.state = SH_ORDER_REJECTED;
      r.reason = reject_reason_;
      r.leaves_qty = 0.0;
      r.detail = "rejected by script_venue";
      return sink.report(r);
    }
    sink.report(r);
    if (behaviour_ == "garbage") {
      r.last_qty = o.qty;
      r.last_price = std::nan("");
      r.state = SH_ORDER_FILLED;
      return sink.report(r);
    }
    r.state = SH_ORDER_FILLED;
    r.last_qty = o.qty;
    r.last_price = o.ref_price;
    r.ref_price = o.ref_price;
    r.cum_qty = o.qty;
    r.leaves_qty = 0.0;
    r.liquidity = SH_LIQUIDITY_TAKER;
    const double signed_qty = o.side == SH_SIDE_BUY ? o.qty : -o.qty;
    positions_[o.symbol] += signed_qty;
    sink.report(r);
    if (behaviour_ == "unknown_fill") {
      const std::string ghost = "ghost-" + std::to_string(++ghosts_);
      r.client_order_id = ghost.c_str();
      sink.report(r);
    }
    return SH_OK;
  }

  sh_status cancel(std::string_view id, const sh::VenueSink&) override {
    journal_ << "cancel " << id << '\n';
    journal_.flush();
    throw sh::InvalidArgument("script_venue holds no working order '" + std::string(id) + "'");
  }

  void query_orders(const sh::VenueSink&) override {}
  void query_positions(const sh::PositionSink& sink) override {
    for (const auto& [symbol, qty] : positions_) {
      if (qty == 0.0) continue;
      sh_position p{};
      p.struct_size = sizeof p;
      p.symbol = symbol;
      p.qty = qty;
      sink.emit(p);
    }
  }

 private:
  sh_venue_report report(const sh_venue_order& o, sh_order_state state) {
    sh_venue_report r{};
    r.struct_size = sizeof r;
    r.state = state;
    r.client_order_id = o.client_order_id;
    venue_id_ = "sv-" + std::to_string(++next_id_);
    r.venue_order_id = venue_id_.c_str();
    r.symbol = o.symbol;
    r.side = o.side;
    r.ts_ns = o.ts_ns;
    r.ref_price = std::nan("");
    r.leaves_qty = o.qty;
    return r;
  }

  std::ofstream journal_;
  std::string behaviour_;
  int reject_reason_;
  bool simulated_;
  int delay_ms_;
  std::map<sh_symbol_id, double> positions_;
  std::string venue_id_;
  uint64_t next_id_ = 0;
  uint64_t ghosts_ = 0;
};

SH_EXPORT_PLUGIN(ScriptVenue)
