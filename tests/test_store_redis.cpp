// RedisClient and RedisStreamSink against a real redis-server on a free
// loopback port (tests/support/redis_server.h), including Redis going away.
#include <catch2/catch.hpp>

#include <map>

#include "events/event_record.h"
#include "events/output_digest.h"
#include "events/redis_client.h"
#include "events/redis_stream_sink.h"
#include "support/redis_server.h"

using namespace sh::host;
using sh::test::RedisServer;

namespace {

constexpr int64_t kT0005 = 1704153900000000000;  // 2024-01-02T00:05:00Z

EventRecord record(uint64_t seq, const std::string& symbol) {
  EventRecord r;
  r.seq = seq;
  r.minute_ts_ns = kT0005;
  r.symbol = symbol;
  r.hit_class = "return_spike";
  r.score = 87.5;
  r.severity = 88;
  r.value = 4.25;
  r.threshold = 3;
  r.detector = "spike";
  r.detector_version = "1.2.0";
  return r;
}

// XRANGE stream - + as a list of field->value maps.
std::vector<std::map<std::string, std::string>> read_stream(const RedisServer& server,
                                                            const std::string& stream) {
  RedisClient c(server.host(), server.port());
  REQUIRE(c.connect().ok());
  RedisReply reply;
  REQUIRE(c.command({"XRANGE", stream, "-", "+"}, &reply).ok());
  REQUIRE(reply.type == RedisReply::Type::kArray);
  std::vector<std::map<std::string, std::string>> out;
  for (const RedisReply& entry : reply.elements) {
    REQUIRE(entry.elements.size() == 2);
    const RedisReply& fields = entry.elements[1];
    std::map<std::string, std::string> m;
    for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
      m[fields.elements[i].str] = fields.elements[i + 1].str;
    }
    out.push_back(m);
  }
  return out;
}

RedisStreamSinkOptions sink_options(const RedisServer& server) {
  RedisStreamSinkOptions o;
  o.host = server.host();
  o.port = server.port();
  o.timeout_ms = 500;
  o.stream = "sh:events";
  o.maxlen = 1000;
  return o;
}

}  // namespace

TEST_CASE("redis client: binary-safe commands, error replies, pipelines", "[redis]") {
  RedisServer server;
  RedisClient c(server.host(), server.port());
  CHECK_FALSE(c.connected());
  REQUIRE(c.connect().ok());
  const std::string key("k\0ey", 4), value("v\0\r\nal", 6);
  RedisReply r;
  REQUIRE(c.command({"SET", key, value}, &r).ok());
  CHECK(r.type == RedisReply::Type::kStatus);
  CHECK(r.str == "OK");
  REQUIRE(c.command({"GET", key}, &r).ok());
  CHECK(r.type == RedisReply::Type::kString);
  CHECK(r.str == value);
  REQUIRE(c.command({"GET", "absent"}, &r).ok());
  CHECK(r.type == RedisReply::Type::kNil);
  Status st = c.command({"INCR", key}, &r);
  CHECK(st.code() == Status::Code::kRemoteError);
  CHECK(st.message() == "redis " + server.endpoint() +
                            ": INCR: ERR value is not an integer or out of range");
  CHECK(r.type == RedisReply::Type::kError);
  CHECK(c.connected());  // an error reply does not break the connection

  std::vector<RedisReply> replies;
  st = c.pipeline({{"INCR", "n"}, {"INCR", "n"}, {"INCR", key}, {"INCR", "n"}}, &replies);
  CHECK(st.code() == Status::Code::kRemoteError);
  REQUIRE(replies.size() == 4);
  CHECK(replies[1].integer == 2);
  CHECK(replies[2].type == RedisReply::Type::kError);
  CHECK(replies[3].integer == 3);
}

TEST_CASE("redis client: subscriber reads pushed messages with a timeout", "[redis]") {
  RedisServer server;
  RedisClient sub(server.host(), server.port());
  REQUIRE(sub.connect().ok());
  REQUIRE(sub.send({"SUBSCRIBE", "param.reload"}).ok());
  RedisReply r;
  bool got = false;
  REQUIRE(sub.read_reply(2000, &r, &got).ok());
  REQUIRE(got);
  REQUIRE(r.elements.size() == 3);
  CHECK(r.elements[0].str == "subscribe");
  // Nothing published: a timeout, and the connection stays usable.
  REQUIRE(sub.read_reply(50, &r, &got).ok());
  CHECK_FALSE(got);
  CHECK(sub.connected());

  RedisClient pub(server.host(), server.port());
  REQUIRE(pub.connect().ok());
  REQUIRE(pub.command({"PUBLISH", "param.reload", R"({"component":"spike"})"}, &r).ok());
  CHECK(r.integer == 1);
  REQUIRE(sub.read_reply(2000, &r, &got).ok());
  REQUIRE(got);
  REQUIRE(r.elements.size() == 3);
  CHECK(r.elements[0].str == "message");
  CHECK(r.elements[1].str == "param.reload");
  CHECK(r.elements[2].str == R"({"component":"spike"})");

  // The server goes away: the subscriber sees an error naming host:port.
  server.stop();
  Status st = sub.read_reply(2000, &r, &got);
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("redis " + server.endpoint()) == 0);
  CHECK_FALSE(sub.connected());
}

TEST_CASE("redis client: connecting to nothing fails with host:port", "[redis]") {
  RedisServer server;
  server.stop();
  RedisClient c(server.host(), server.port(), 300);
  Status st = c.connect();
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message() == "redis " + server.endpoint() + ": connect failed: Connection refused");
  CHECK(c.command({"PING"}, nullptr).message() == "redis " + server.endpoint() + ": not connected");
}

TEST_CASE("redis stream sink: XADD per event with the JSON line, sent at flush", "[redis]") {
  RedisServer server;
  OutputDigest digest;
  RedisStreamSinkOptions o = sink_options(server);
  o.digest = &digest;
  RedisStreamSink sink(o);
  REQUIRE(sink.write(record(1, "BTCUSDT")).ok());
  REQUIRE(sink.write(record(2, "ETHUSDT")).ok());
  CHECK(read_stream(server, "sh:events").empty());  // buffered until flush
  CHECK(sink.pending() == 2);
  REQUIRE(sink.flush().ok());
  CHECK(sink.pending() == 0);
  auto entries = read_stream(server, "sh:events");
  REQUIRE(entries.size() == 2);
  CHECK(entries[0] == std::map<std::string, std::string>{
                          {"seq", "1"},
                          {"symbol", "BTCUSDT"},
                          {"class", "return_spike"},
                          {"event", format_event_json(record(1, "BTCUSDT"))}});
  CHECK(entries[1].at("seq") == "2");
  CHECK(entries[1].at("event") ==
        "{\"seq\":2,\"minute\":\"2024-01-02T00:05:00Z\",\"minute_ts_ns\":1704153900000000000,"
        "\"symbol\":\"ETHUSDT\",\"class\":\"return_spike\",\"score\":87.5,\"severity\":88,"
        "\"value\":4.25,\"threshold\":3,\"detector\":\"spike\",\"detector_version\":\"1.2.0\","
        "\"dq\":\"ok\"}");
  CHECK(sha256_hex(format_event_json(record(1, "BTCUSDT")) + "\n" +
                   format_event_json(record(2, "ETHUSDT")) + "\n") ==
        digest.streams().at(0).hex_digest);
  CHECK(sink.flush().ok());  // nothing pending: no-op
}

TEST_CASE("redis stream sink: Redis down is a clear error, events kept, sent later",
          "[redis]") {
  RedisServer server;
  RedisStreamSink sink(sink_options(server));
  REQUIRE(sink.write(record(1, "BTCUSDT")).ok());
  REQUIRE(sink.flush().ok());

  server.stop();
  REQUIRE(sink.write(record(2, "BTCUSDT")).ok());
  Status st = sink.flush();
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message() == "redis " + server.endpoint() +
                            ": connect failed: Connection refused (1 events kept for the next "
                            "flush)");
  CHECK(sink.pending() == 1);

  server.start();  // back, empty (no persistence)
  REQUIRE(sink.write(record(3, "BTCUSDT")).ok());
  st = sink.flush();
  INFO(st.to_string());
  REQUIRE(st.ok());
  auto entries = read_stream(server, "sh:events");
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].at("seq") == "2");
  CHECK(entries[1].at("seq") == "3");
}

TEST_CASE("redis stream sink: a broken connection is reconnected once transparently",
          "[redis]") {
  RedisServer server;
  RedisStreamSink sink(sink_options(server));
  REQUIRE(sink.write(record(1, "A")).ok());
  REQUIRE(sink.flush().ok());
  server.stop();
  server.start();  // the sink's connection is now dead
  REQUIRE(sink.write(record(2, "A")).ok());
  Status st = sink.flush();
  INFO(st.to_string());
  REQUIRE(st.ok());
  auto entries = read_stream(server, "sh:events");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].at("seq") == "2");
}

TEST_CASE("redis stream sink: rejected entries are reported, not retried forever",
          "[redis]") {
  RedisServer server;
  {
    RedisClient c(server.host(), server.port());
    REQUIRE(c.connect().ok());
    REQUIRE(c.command({"SET", "sh:events", "not a stream"}, nullptr).ok());
  }
  RedisStreamSink sink(sink_options(server));
  REQUIRE(sink.write(record(1, "A")).ok());
  Status st = sink.flush();
  CHECK(st.code() == Status::Code::kRemoteError);
  CHECK(st.message().find("redis stream sh:events: 1 of 1 entries rejected; first: redis " +
                          server.endpoint() + ": XADD: WRONGTYPE") == 0);
  CHECK(sink.pending() == 0);
}

TEST_CASE("redis client: writing to a vanished server is an error, not SIGPIPE", "[redis]") {
  RedisServer server;
  RedisClient c(server.host(), server.port(), 500);
  REQUIRE(c.connect().ok());
  server.stop();
  // Megabytes of commands: the kernel's RST arrives while hiredis is still
  // writing, so write() fails (ECONNRESET, or EPIPE which raises SIGPIPE
  // unless the client suppresses it).
  std::vector<std::vector<std::string>> commands(512, {"SET", "k", std::string(16384, 'x')});
  std::vector<RedisReply> replies;
  Status st = c.pipeline(commands, &replies);
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("redis " + server.endpoint()) == 0);
  CHECK_FALSE(c.connected());
}
