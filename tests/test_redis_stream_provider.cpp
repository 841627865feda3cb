// [redis_stream] The redis_stream provider against a real redis-server on a
// free loopback port: the entry schema, bad entries, consumer groups (ack
// after emit, restart without loss or doubles, Redis restarts), plain XREAD
// resume, the receive clock, and a run through the host binary.
#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/plugin_harness.h"
#include "support/redis_server.h"
#include "test_host_support.h"

using namespace sh_test;
using sh::test::RedisServer;

namespace {

// A test-side Redis client (the producer and the inspector).
class RedisCli {
 public:
  explicit RedisCli(const RedisServer& server) { reconnect(server); }
  ~RedisCli() {
    if (c_ != nullptr) redisFree(c_);
  }
  void reconnect(const RedisServer& server) {
    if (c_ != nullptr) redisFree(c_);
    c_ = redisConnect(server.host().c_str(), server.port());
    if (c_ == nullptr || c_->err != 0) throw std::runtime_error("RedisCli: cannot connect");
  }
  // Runs a command; returns the reply as text (strings, status, errors),
  // its integer, or for arrays the element count.
  struct Result {
    int type = 0;
    std::string text;
    long long integer = 0;
    size_t elements = 0;
  };
  Result cmd(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> len;
    for (const auto& a : args) {
      argv.push_back(a.data());
      len.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), len.data()));
    if (r == nullptr) throw std::runtime_error("RedisCli: connection lost");
    Result out;
    out.type = r->type;
    if (r->str != nullptr) out.text.assign(r->str, r->len);
    out.integer = r->integer;
    out.elements = r->elements;
    freeReplyObject(r);
    return out;
  }
  // XADD stream * k v ...; returns the id.
  std::string xadd(const std::string& stream, const std::vector<std::string>& kv) {
    std::vector<std::string> args = {"XADD", stream, "*"};
    args.insert(args.end(), kv.begin(), kv.end());
    const Result r = cmd(args);
    if (r.type != REDIS_REPLY_STRING) throw std::runtime_error("XADD failed: " + r.text);
    return r.text;
  }
  // The group's pending count (XPENDING summary).
  long long pending(const std::string& stream, const std::string& group) {
    auto* r = static_cast<redisReply*>(redisCommand(c_, "XPENDING %s %s", stream.c_str(), group.c_str()));
    if (r == nullptr) throw std::runtime_error("RedisCli: connection lost");
    long long n = r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? r->element[0]->integer : -1;
    freeReplyObject(r);
    return n;
  }

 private:
  redisContext* c_ = nullptr;
};

nlohmann::json stream_config(const RedisServer& server, const std::string& stream) {
  return {{"host", server.host()},
          {"port", server.port()},
          {"stream", stream},
          {"block_ms", 20},
          {"connect_timeout_ms", 500},
          {"reconnect", {{"initial_ms", 10}, {"max_ms", 100}, {"multiplier", 2.0}, {"jitter", 0.2}}}};
}

// A trade entry whose trade_id and price carry n.
std::vector<std::string> trade(const std::string& symbol, int n, const std::string& ts = "1767225600000000000") {
  return {"type", "trade", "symbol", symbol, "ts", ts, "price", std::to_string(100 + n), "size", "1",
          "trade_id", std::to_string(n)};
}

// Polls until done() holds, the provider ends or fails, or timeout_ms pass.
sh_status pump(PluginInstance& inst, std::vector<sh_market_event>& events,
               const std::function<bool()>& done, int timeout_ms = 4000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  sh_status st = SH_OK;
  while (std::chrono::steady_clock::now() < deadline) {
    st = inst.poll(events, 1000);
    if (st != SH_OK && st != SH_WOULD_BLOCK) return st;
    if (done && done()) return st;
    if (st == SH_WOULD_BLOCK) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return st;
}

// A sink that refuses every batch (the host is "full").
sh_status refuse(void*, const sh_market_event*, uint32_t, uint32_t) { return SH_ERR_HOST; }

// Polls through a refusing sink for ms milliseconds (the provider reads, emits nothing).
void poll_refused(PluginInstance& inst, int ms) {
  const sh_event_sink sink{sizeof(sh_event_sink), nullptr, &refuse};
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    inst.poll(sink, 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<uint64_t> trade_ids(const std::vector<sh_market_event>& events) {
  std::vector<uint64_t> ids;
  for (const auto& e : events)
    if (e.type == SH_EVENT_TRADE) ids.push_back(e.data.trade.trade_id);
  return ids;
}

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t i = from; i <= to; ++i) v.push_back(i);
  return v;
}

int64_t clock_of(PluginInstance& inst) {
  return inst.descriptor().provider->clock_ns(inst.raw());
}

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("redis_stream emits XADDed trades, quotes, l2 levels and bars with their fields",
          "[redis_stream]") {
  RedisServer redis;
  RedisCli cli(redis);
  cli.xadd("md", {"type", "trade", "symbol", "BTCUSDT", "ts", "1767225600123000000", "price", "87000.5",
                  "size", "0.25", "side", "sell", "trade_id", "42"});
  cli.xadd("md", {"type", "quote", "symbol", "ETHUSDT", "ts", "2026-01-01T00:00:00.123Z", "bid", "2950.1",
                  "bid_size", "3", "ask", "2950.3", "ask_size", "4.5"});
  cli.xadd("md", {"type", "l2", "symbol", "BTCUSDT", "ts", "1767225600200000000", "side", "ask", "level", "2",
                  "price", "87001", "size", "1.5", "snapshot", "1"});
  cli.xadd("md", {"type", "bar", "symbol", "SOLUSDT", "ts", "2026-01-01T00:01:00Z", "open", "1", "high", "3",
                  "low", "0.5", "close", "2", "volume", "1000", "duration_s", "60", "extra", "ignored"});
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  auto cfg = stream_config(redis, "md");
  cfg["start_id"] = "0";
  cfg["stop_after_entries"] = 4;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> ev;
  const int64_t before = wall_ns();
  CHECK(pump(inst, ev, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  REQUIRE(ev.size() == 4);
  for (const auto& e : ev) {
    CHECK(e.struct_size == sizeof(sh_market_event));
    CHECK(e.recv_ts_ns >= before);
    CHECK(e.recv_ts_ns <= wall_ns());
  }
  CHECK(ev[0].type == SH_EVENT_TRADE);
  CHECK(host.symbol_name(ev[0].symbol) == "BTCUSDT");
  CHECK(ev[0].ts_ns == 1767225600123000000);
  CHECK(ev[0].data.trade.price == 87000.5);
  CHECK(ev[0].data.trade.size == 0.25);
  CHECK(ev[0].data.trade.side == SH_SIDE_SELL);
  CHECK(ev[0].data.trade.trade_id == 42);
  CHECK(ev[1].type == SH_EVENT_QUOTE);
  CHECK(host.symbol_name(ev[1].symbol) == "ETHUSDT");
  CHECK(ev[1].ts_ns == 1767225600123000000);
  CHECK(ev[1].data.quote.bid == 2950.1);
  CHECK(ev[1].data.quote.bid_size == 3);
  CHECK(ev[1].data.quote.ask == 2950.3);
  CHECK(ev[1].data.quote.ask_size == 4.5);
  CHECK(ev[2].type == SH_EVENT_L2);
  CHECK(ev[2].symbol == ev[0].symbol);
  CHECK(ev[2].data.l2.side == SH_SIDE_SELL);
  CHECK(ev[2].data.l2.level == 2);
  CHECK(ev[2].data.l2.price == 87001);
  CHECK(ev[2].data.l2.size == 1.5);
  CHECK(ev[2].flags == SH_EVENT_FLAG_SNAPSHOT);
  CHECK(ev[3].type == SH_EVENT_BAR);
  CHECK(host.symbol_name(ev[3].symbol) == "SOLUSDT");
  CHECK(ev[3].ts_ns == 1767225660000000000);
  CHECK(ev[3].data.bar.open == 1);
  CHECK(ev[3].data.bar.high == 3);
  CHECK(ev[3].data.bar.low == 0.5);
  CHECK(ev[3].data.bar.close == 2);
  CHECK(ev[3].data.bar.volume == 1000);
  CHECK(ev[3].data.bar.duration_ns == 60000000000);
  CHECK(host.counter("entries_read") == 4);
  CHECK(host.counter("events_emitted") == 4);
  CHECK(host.counter("connections") == 1);
  CHECK(host.counter("malformed_entries") == 0);
  CHECK(host.logs_containing("stop_after_entries reached") == 1);
}

TEST_CASE("redis_stream reads ms timestamps with ts_unit ms and keeps only the listed symbols",
          "[redis_stream]") {
  RedisServer redis;
  RedisCli cli(redis);
  cli.xadd("md", trade("BTCUSDT", 1, "1767225600123"));
  cli.xadd("md", trade("DOGEUSDT", 2, "1767225600124"));
  cli.xadd("md", trade("ETHUSDT", 3, "1767225600125"));
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  auto cfg = stream_config(redis, "md");
  cfg["start_id"] = "0";
  cfg["ts_unit"] = "ms";
  cfg["symbols"] = {"BTCUSDT", "ETHUSDT"};
  cfg["stop_after_entries"] = 3;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> ev;
  CHECK(pump(inst, ev, nullptr) == SH_END_OF_DATA);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].ts_ns == 1767225600123000000);
  CHECK(ev[1].ts_ns == 1767225600125000000);
  CHECK(trade_ids(ev) == std::vector<uint64_t>{1, 3});
  CHECK(host.counter("filtered_entries") == 1);
  CHECK(host.counter("malformed_entries") == 0);
}

TEST_CASE("redis_stream counts, logs and skips malformed entries and carries on", "[redis_stream]") {
  RedisServer redis;
  RedisCli cli(redis);
  const std::string missing = cli.xadd("md", {"type", "trade", "symbol", "BTCUSDT", "ts", "1767225600000000000", "size", "1"});
  cli.xadd("md", {"type", "trade", "symbol", "BTCUSDT", "ts", "1767225600000000000", "size", "2"});
  cli.xadd("md", {"type", "trade", "symbol", "BTCUSDT", "ts", "1767225600000000000", "price", "abc", "size", "1"});
  cli.xadd("md", {"type", "trade", "symbol", "BTCUSDT", "ts", "1767225600000000000", "price", "inf", "size", "1"});
  const std::string unknown = cli.xadd("md", {"type", "funding", "symbol", "BTCUSDT", "ts", "1"});
  cli.xadd("md", {"type", "trade", "symbol", "BTC USD", "ts", "1767225600000000000", "price", "1", "size", "1"});
  cli.xadd("md", {"type", "quote", "symbol", "BTCUSDT", "ts", "yesterday", "bid", "1", "bid_size", "1",
                  "ask", "2", "ask_size", "1"});
  cli.xadd("md", {"type", "trade", "symbol", "BTCUSDT", "ts", "1767225600000000000", "price", "1", "size", "1",
                  "side", "up"});
  cli.xadd("md", {"symbol", "BTCUSDT"});
  cli.xadd("md", trade("BTCUSDT", 7));
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  auto cfg = stream_config(redis, "md");
  cfg["start_id"] = "0";
  cfg["stop_after_entries"] = 10;
  cfg["log_limit_per_reason"] = 1;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> ev;
  CHECK(pump(inst, ev, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(trade_ids(ev) == std::vector<uint64_t>{7});
  CHECK(host.counter("entries_read") == 10);
  CHECK(host.counter("malformed_entries") == 9);
  CHECK(host.counter("unknown_types") == 1);
  CHECK(host.counter("events_emitted") == 1);
  // Each line names the stream id; one line per reason (log_limit_per_reason: 1).
  CHECK(host.logs_containing("entry " + missing + " skipped (missing field): field 'price' is missing") == 1);
  CHECK(host.logs_containing("(missing field)") == 1);
  CHECK(host.logs_containing("further 'missing field' entries are only counted") == 1);
  CHECK(host.logs_containing("entry " + unknown + " skipped (unknown type): unknown type 'funding'") == 1);
  CHECK(host.logs_containing("(bad number)") == 1);
  CHECK(host.logs_containing("(bad symbol)") == 1);
  CHECK(host.logs_containing("(bad timestamp)") == 1);
  CHECK(host.logs_containing("(bad side)") == 1);
}

TEST_CASE("redis_stream refuses bad configs with a clear error", "[redis_stream]") {
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"stream", "md"}, {"blok_ms", 5}}, "unknown config key 'blok_ms' (did you mean 'block_ms'?"},
      {{{"host", "127.0.0.1"}}, "redis_stream: stream is required"},
      {{{"stream", "md"}, {"group", "g"}}, "'group' and 'consumer' go together"},
      {{{"stream", "md"}, {"url", "redis://h:1"}, {"port", 2}}, "either 'url' or 'host'/'port'"},
      {{{"stream", "md"}, {"url", "http://h:1"}}, "only redis:// URLs"},
      {{{"stream", "md"}, {"start_id", "latest"}}, "'start_id' must be"},
      {{{"stream", "md"}, {"block_ms", 0}}, "redis_stream: block_ms must be within 1..60000, got 0"},
      {{{"stream", "md"}, {"ts_unit", "h"}}, "redis_stream: ts_unit must be one of ns, us, ms, s; got 'h'"},
      {{{"stream", "md"}, {"reconnect", {{"max", 1}}}}, "unknown config key 'reconnect.max' (did you mean 'max_ms'?"},
  };
  // Keys, types and ranges come from the schema (sh::config::Reader), with
  // its wording: "unknown config key", "X must be within lo..hi, got v".
  for (const auto& [cfg, text] : cases) {
    INFO(cfg.dump());
    PluginInstance inst(lib, host, cfg);
    CHECK_FALSE(inst.ok());
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Matchers::Contains(text));
  }
  PluginInstance url(lib, host, {{"stream", "md"}, {"url", "redis://:secret@10.0.0.1:6380/2"}});
  CHECK(url.ok());
}

TEST_CASE("redis_stream consumer group: entries are acked only after the host took their events",
          "[redis_stream][group]") {
  RedisServer redis;
  RedisCli cli(redis);
  for (int i = 1; i <= 3; ++i) cli.xadd("md", trade("BTCUSDT", i));
  cli.xadd("md", {"type", "nonsense"});
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  auto cfg = stream_config(redis, "md");
  cfg["group"] = "g";
  cfg["consumer"] = "c1";
  cfg["start_id"] = "0";
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  // The host refuses: entries are read (pending) and none is acked, except
  // the bad one, which is handled once it reached poll().
  poll_refused(inst, 300);
  INFO(host.log_text());
  CHECK(host.counter("entries_read") == 4);
  CHECK(host.counter("groups_created") == 1);
  CHECK(cli.pending("md", "g") == 3);
  std::vector<sh_market_event> ev;
  pump(inst, ev, [&] { return ev.size() == 3 && cli.pending("md", "g") == 0; });
  CHECK(trade_ids(ev) == range(1, 3));
  CHECK(cli.pending("md", "g") == 0);
  pump(inst, ev, [&] { return host.counter("acked") == 4; }, 1000);
  CHECK(host.counter("acked") == 4);
  CHECK(host.counter("events_emitted") == 3);
}

TEST_CASE("redis_stream consumer group: restarts and killed connections lose nothing and double nothing",
          "[redis_stream][group]") {
  RedisServer redis;
  RedisCli cli(redis);
  PluginLibrary lib(plugin_path("redis_stream"));
  auto cfg = stream_config(redis, "md");
  cfg["group"] = "g";
  cfg["consumer"] = "c1";
  std::vector<sh_market_event> all;
  {  // A: creates the group at '$', reads 1..10, emits, stops (acks sent).
    HarnessHost host;
    PluginInstance a(lib, host, cfg);
    REQUIRE(a.ok());
    pump(a, all, [&] { return host.counter("connections") == 1; });
    for (int i = 1; i <= 10; ++i) cli.xadd("md", trade("BTCUSDT", i));
    pump(a, all, [&] { return all.size() == 10; });
    INFO(host.log_text());
    REQUIRE(all.size() == 10);
  }
  CHECK(cli.pending("md", "g") == 0);
  for (int i = 11; i <= 15; ++i) cli.xadd("md", trade("BTCUSDT", i));
  {  // B: reads 11..15 but the host never takes them; B goes away.
    HarnessHost host;
    PluginInstance b(lib, host, cfg);
    REQUIRE(b.ok());
    poll_refused(b, 200);
    CHECK(host.counter("entries_read") == 5);
  }
  CHECK(cli.pending("md", "g") == 5);
  for (int i = 16; i <= 20; ++i) cli.xadd("md", trade("BTCUSDT", i));
  HarnessHost host;
  PluginInstance c(lib, host, cfg);
  REQUIRE(c.ok());
  // C: the pending 11..15 first, then 16..20.
  pump(c, all, [&] { return all.size() == 20; });
  // The connection is killed while C holds events it has not handed over.
  for (int i = 21; i <= 25; ++i) cli.xadd("md", trade("BTCUSDT", i));
  poll_refused(c, 100);  // 21..25 read, held
  CHECK(cli.cmd({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).integer >= 1);
  for (int i = 26; i <= 30; ++i) cli.xadd("md", trade("BTCUSDT", i));
  pump(c, all, [&] { return all.size() >= 30 && host.counter("reconnects") >= 1 && cli.pending("md", "g") == 0; });
  INFO(host.log_text());
  CHECK(host.counter("reconnects") >= 1);
  CHECK(trade_ids(all) == range(1, 30));
  CHECK(cli.pending("md", "g") == 0);

  // Redis restarts empty: the group is created again, reading goes on.
  redis.stop();
  redis.start();
  cli.reconnect(redis);
  for (int i = 31; i <= 33; ++i) cli.xadd("md", trade("BTCUSDT", i));  // maybe before the group is back
  pump(c, all, [&] { return host.counter("groups_created") >= 1 && host.counter("reconnects") >= 2; });
  for (int i = 34; i <= 35; ++i) cli.xadd("md", trade("BTCUSDT", i));
  pump(c, all, [&] { return all.size() >= 35 && cli.pending("md", "g") == 0; });
  CHECK(trade_ids(all) == range(1, 35));
  CHECK(cli.pending("md", "g") == 0);
  CHECK(host.logs_containing("(reconnect)") >= 2);
}

TEST_CASE("redis_stream plain XREAD resumes after the last id read across a killed connection and a Redis restart",
          "[redis_stream]") {
  RedisServer redis;
  RedisCli cli(redis);
  cli.xadd("md", trade("BTCUSDT", 0));  // history: start_id '$' skips it
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  PluginInstance inst(lib, host, stream_config(redis, "md"));
  REQUIRE(inst.ok());
  std::vector<sh_market_event> ev;
  pump(inst, ev, [&] { return host.counter("connections") == 1; });
  for (int i = 1; i <= 3; ++i) cli.xadd("md", trade("BTCUSDT", i));
  pump(inst, ev, [&] { return ev.size() == 3; });
  CHECK(cli.cmd({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).integer >= 1);
  for (int i = 4; i <= 6; ++i) cli.xadd("md", trade("BTCUSDT", i));  // before the reader is back
  pump(inst, ev, [&] { return ev.size() >= 6 && host.counter("reconnects") >= 1; });
  CHECK(trade_ids(ev) == range(1, 6));
  redis.stop();
  pump(inst, ev, [&] { return host.counter("connect_failures") >= 1; });
  redis.start();
  cli.reconnect(redis);
  for (int i = 7; i <= 9; ++i) cli.xadd("md", trade("BTCUSDT", i));
  pump(inst, ev, [&] { return ev.size() >= 9; });
  INFO(host.log_text());
  CHECK(trade_ids(ev) == range(1, 9));
  CHECK(host.counter("reconnects") >= 2);
  CHECK(host.counter("disconnects") >= 2);
  CHECK(host.logs_containing("reconnecting in") >= 1);
}

TEST_CASE("redis_stream receive clock advances while the stream is idle and never passes a held event",
          "[redis_stream][clock]") {
  RedisServer redis;
  RedisCli cli(redis);
  HarnessHost host;
  PluginLibrary lib(plugin_path("redis_stream"));
  PluginInstance inst(lib, host, stream_config(redis, "md"));
  REQUIRE(inst.ok());
  CHECK(clock_of(inst) == 0);  // nothing read yet
  std::vector<sh_market_event> ev;
  pump(inst, ev, [&] { return clock_of(inst) > 0; });
  const int64_t c1 = clock_of(inst);
  CHECK(c1 > 0);
  pump(inst, ev, nullptr, 300);
  const int64_t c2 = clock_of(inst);
  CHECK(c2 - c1 >= 200'000'000);  // idle for 300 ms, blocks of 20 ms
  CHECK(c2 <= wall_ns());
  // An entry held back (the sink refuses): the clock stays before it.
  cli.xadd("md", trade("BTCUSDT", 1));
  poll_refused(inst, 100);
  const int64_t held = clock_of(inst);
  pump(inst, ev, [&] { return ev.size() == 1; });
  REQUIRE(ev.size() == 1);
  CHECK(held <= ev[0].recv_ts_ns);
  pump(inst, ev, [&] { return clock_of(inst) > ev[0].recv_ts_ns; });
  CHECK(clock_of(inst) > ev[0].recv_ts_ns);
  CHECK(ev.size() == 1);
}

TEST_CASE("redis_stream runs through the host binary in dry-run and closes minutes", "[redis_stream][host]") {
  RedisServer redis;
  RedisCli cli(redis);
  // Three minutes of two symbols: a quote and two trades per symbol and minute.
  const int64_t t0 = 1767225600000;  // 2026-01-01T00:00:00Z, ms
  int n = 0;
  for (int minute = 0; minute < 3; ++minute) {
    for (const std::string sym : {"BTCUSDT", "ETHUSDT"}) {
      const int64_t t = t0 + minute * 60000 + 1000;
      cli.xadd("md", {"type", "quote", "symbol", sym, "ts", std::to_string(t), "bid", "99", "bid_size", "1",
                      "ask", "101", "ask_size", "1"});
      cli.xadd("md", trade(sym, ++n, std::to_string(t + 10)));
      cli.xadd("md", trade(sym, ++n, std::to_string(t + 20)));
    }
  }
  ScratchDir dir("redis_stream_host");
  write_file(dir / "host.yaml",
             "host:\n"
             "  mode: dry-run\n"
             "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
             "  state_dir: state\n"
             "  output_dir: out\n"
             "providers:\n"
             "  - name: redis_stream\n"
             "    plugin: redis_stream\n"
             "    config: {url: 'redis://" + redis.endpoint() + "', stream: md, start_id: '0', ts_unit: ms,\n"
             "             block_ms: 20, stop_when_idle_ms: 400}\n"
             "conveyor: {benchmark: BTCUSDT}\n");
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(summary["events_in"] == 18);
  CHECK(summary["counters"]["redis_stream.entries_read"] == 18);
  CHECK(summary["counters"]["redis_stream.events_emitted"] == 18);
  CHECK(summary["counters"]["redis_stream.connections"] == 1);
  CHECK(summary["minutes_closed"].get<int>() == 3);
  CHECK(summary["snapshot_rows"].get<int>() == 6);
  CHECK(r.err.find("[redis_stream] connected to " + redis.endpoint()) != std::string::npos);
}
