// [sdk][config] sh::config::Reader (strategy_host/config.hpp): a plugin's
// config read through its own schema. Each refusal is checked for the exact
// message a user sees in last_error().
#include <catch2/catch.hpp>

#include <strategy_host/config.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

enum class Field { kZRet, kZVolume, kZSpread };

constexpr const char* kSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "threshold": {"type": "number", "exclusiveMinimum": 0, "default": 4.0},
    "quantile": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.95},
    "loss_pct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 3},
    "floor": {"type": "number", "minimum": -5},
    "batches": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 1},
    "seed": {"type": "integer", "minimum": 0, "default": 1},
    "field": {"type": "string", "enum": ["z_ret", "z_volume", "z_spread"], "default": "z_ret"},
    "class": {"type": "string", "minLength": 1, "default": "spike"},
    "dq_ok": {"type": "boolean", "default": false},
    "fields": {"type": "array", "minItems": 1, "uniqueItems": true,
               "items": {"type": "string", "enum": ["z_ret", "z_volume", "z_spread"]},
               "default": ["z_ret", "z_volume"]},
    "mults": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "default": [1, 3]},
    "caps": {"type": "object", "default": {},
             "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
    "reconnect": {"type": "object", "additionalProperties": false,
                  "properties": {
                    "initial_ms": {"type": "integer", "minimum": 1, "default": 100},
                    "jitter": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.2}}}
  },
  "additionalProperties": false
})json";

constexpr const char* kRequiredSchema = R"json({
  "type": "object",
  "properties": {"model_path": {"type": "string", "minLength": 1}},
  "required": ["model_path"],
  "additionalProperties": false
})json";

// The message of the ConfigError the config draws, or "" when it is accepted.
std::string refusal(const char* config_json, const char* schema = kSchema,
                    const std::string& prefix = "") {
  const sh::Json j = sh::Json::parse(config_json);
  try {
    const sh::config::Reader r(j, schema, prefix);
    return "";
  } catch (const sh::ConfigError& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("config reader: absent keys take the schema's defaults", "[sdk][config]") {
  const sh::Json j = sh::Json::object();
  const sh::config::Reader r(j, kSchema);
  CHECK(r.number("threshold") == 4.0);
  CHECK(r.number("quantile") == 0.95);
  CHECK(r.number("loss_pct") == 3.0);  // an integer default read as a number
  CHECK(r.integer("batches") == 1);
  CHECK(r.unsigned_integer("seed") == 1u);
  CHECK(r.string("class") == "spike");
  CHECK(r.boolean("dq_ok") == false);
  CHECK(r.choice<Field>("field", {{"z_ret", Field::kZRet}, {"z_volume", Field::kZVolume},
                                  {"z_spread", Field::kZSpread}}) == Field::kZRet);
  CHECK(r.string_list("fields") == std::vector<std::string>{"z_ret", "z_volume"});
  CHECK(r.number_list("mults") == std::vector<double>{1.0, 3.0});
  CHECK(r.number_map("caps").empty());
  CHECK_FALSE(r.has("threshold"));
  CHECK_FALSE(r.has("floor"));
  // A key without a default must be asked about first: reading it is the plugin's bug.
  CHECK_THROWS_AS(r.number("floor"), std::logic_error);
  // So is a key the schema does not list, or a read of the wrong type.
  CHECK_THROWS_AS(r.number("thresold"), std::logic_error);
  CHECK_THROWS_AS(r.string("threshold"), std::logic_error);
}

TEST_CASE("config reader: set keys are read with their types", "[sdk][config]") {
  const sh::Json j = sh::Json::parse(R"({"threshold": 2.5, "batches": 7, "seed": 18446744073709551615,
      "field": "z_spread", "class": "wide", "dq_ok": true, "fields": ["z_spread"], "floor": -1,
      "caps": {"BTC": 20000, "ETH": 5000.5}})");
  const sh::config::Reader r(j, kSchema);
  CHECK(r.has("threshold"));
  CHECK(r.number("threshold") == 2.5);
  CHECK(r.number("floor") == -1.0);
  CHECK(r.integer("batches") == 7);
  CHECK(r.unsigned_integer("seed") == UINT64_MAX);
  CHECK_THROWS_AS(r.integer("seed"), std::logic_error);  // does not fit: read it unsigned
  CHECK(r.string("class") == "wide");
  CHECK(r.boolean("dq_ok"));
  CHECK(r.choice_list<Field>("fields", {{"z_ret", Field::kZRet}, {"z_spread", Field::kZSpread}}) ==
        std::vector<Field>{Field::kZSpread});
  const auto caps = r.number_map("caps");
  REQUIRE(caps.size() == 2);
  CHECK(caps[0] == std::make_pair(std::string("BTC"), 20000.0));
  CHECK(caps[1] == std::make_pair(std::string("ETH"), 5000.5));
  CHECK(r.raw("caps").is_object());
  // A schema value the plugin forgot to map is the plugin's bug, not the user's.
  CHECK_THROWS_AS(r.choice<Field>("field", {{"z_ret", Field::kZRet}}), std::logic_error);
}

TEST_CASE("config reader: a config that is not an object is refused", "[sdk][config]") {
  CHECK(refusal("[]") == "config must be a JSON object");
  CHECK(refusal("4") == "config must be a JSON object");
  CHECK(refusal("null") == "config must be a JSON object");
}

TEST_CASE("config reader: an unknown key is refused with a did-you-mean", "[sdk][config]") {
  const std::string keys =
      "expected one of: batches, caps, class, dq_ok, field, fields, floor, loss_pct, mults, "
      "quantile, reconnect, seed, threshold)";
  CHECK(refusal(R"({"thresold": 4})") == "unknown config key 'thresold' (did you mean 'threshold'? " + keys);
  CHECK(refusal(R"({"batch": 4})") == "unknown config key 'batch' (did you mean 'batches'? " + keys);
  CHECK(refusal(R"({"velocity": 1})") == "unknown config key 'velocity' (" + keys);
  CHECK(refusal(R"({"reconnect": {"initial": 5}})") ==
        "unknown config key 'reconnect.initial' (did you mean 'initial_ms'? expected one of: "
        "initial_ms, jitter)");
}

TEST_CASE("config reader: a value of the wrong type is refused", "[sdk][config]") {
  CHECK(refusal(R"({"threshold": "4"})") == "threshold must be a number");
  CHECK(refusal(R"({"batches": 2.5})") == "batches must be an integer");
  CHECK(refusal(R"({"batches": "2"})") == "batches must be an integer");
  CHECK(refusal(R"({"dq_ok": 1})") == "dq_ok must be a boolean");
  CHECK(refusal(R"({"class": 5})") == "class must be a non-empty string");
  CHECK(refusal(R"({"fields": "z_ret"})") == "fields must be a non-empty array");
  CHECK(refusal(R"({"mults": 3})") == "mults must be an array");
  CHECK(refusal(R"({"caps": ["BTC"]})") == "caps must be an object");
  CHECK(refusal(R"({"mults": [1, "x"]})") == "mults[1] must be a number");
  CHECK(refusal(R"({"caps": {"BTC": "lots"}})") == "caps.BTC must be a number");
}

TEST_CASE("config reader: a number out of the schema's range is refused", "[sdk][config]") {
  CHECK(refusal(R"({"threshold": 0})") == "threshold must be > 0, got 0");
  CHECK(refusal(R"({"threshold": -1.5})") == "threshold must be > 0, got -1.5");
  CHECK(refusal(R"({"floor": -6})") == "floor must be >= -5, got -6");
  CHECK(refusal(R"({"quantile": 1.01})") == "quantile must be within 0..1, got 1.01");
  CHECK(refusal(R"({"loss_pct": 0})") == "loss_pct must be within (0, 100], got 0");
  CHECK(refusal(R"({"loss_pct": 100.5})") == "loss_pct must be within (0, 100], got 100.5");
  CHECK(refusal(R"({"batches": 0})") == "batches must be within 1..1000000, got 0");
  CHECK(refusal(R"({"seed": -1})") == "seed must be >= 0, got -1");
  CHECK(refusal(R"({"mults": [1, 0]})") == "mults[1] must be > 0, got 0");
  CHECK(refusal(R"({"caps": {"BTC": 0}})") == "caps.BTC must be > 0, got 0");
  CHECK(refusal(R"({"reconnect": {"jitter": 2}})") == "reconnect.jitter must be within 0..1, got 2");
  // The ends the schema allows are accepted.
  CHECK(refusal(R"({"quantile": 0, "loss_pct": 100, "batches": 1000000, "floor": -5})") == "");
}

TEST_CASE("config reader: strings, enums and lists follow the schema", "[sdk][config]") {
  CHECK(refusal(R"({"class": ""})") == "class must be a non-empty string");
  CHECK(refusal(R"({"field": "z_price"})") ==
        "field must be one of z_ret, z_volume, z_spread; got 'z_price'");
  CHECK(refusal(R"({"field": 3})") == "field must be one of z_ret, z_volume, z_spread; got 3");
  CHECK(refusal(R"({"fields": []})") == "fields must be a non-empty array");
  CHECK(refusal(R"({"fields": ["z_ret", "z_foo"]})") ==
        "fields[1] must be one of z_ret, z_volume, z_spread; got 'z_foo'");
  CHECK(refusal(R"({"fields": ["z_ret", "z_ret"]})") == "fields: 'z_ret' listed twice");
}

TEST_CASE("config reader: nested objects are read through their own schema", "[sdk][config]") {
  const sh::Json set = sh::Json::parse(R"({"reconnect": {"initial_ms": 250}})");
  const sh::config::Reader r(set, kSchema);
  const sh::config::Reader rc = r.object("reconnect");
  CHECK(rc.has("initial_ms"));
  CHECK(rc.integer("initial_ms") == 250);
  CHECK(rc.number("jitter") == 0.2);  // the nested property's default
  CHECK(refusal(R"({"reconnect": {"initial_ms": 0}})") == "reconnect.initial_ms must be >= 1, got 0");
  CHECK(refusal(R"({"reconnect": 5})") == "reconnect must be an object");

  const sh::Json none = sh::Json::object();
  const sh::config::Reader absent(none, kSchema);
  CHECK(absent.object("reconnect").integer("initial_ms") == 100);  // all defaults
}

TEST_CASE("config reader: a required key, and a prefix naming the plugin", "[sdk][config]") {
  CHECK(refusal("{}", kRequiredSchema) == "model_path is required");
  CHECK(refusal(R"({"model_path": ""})", kRequiredSchema) == "model_path must be a non-empty string");
  CHECK(refusal(R"({"model_path": "m.json"})", kRequiredSchema) == "");
  CHECK(refusal(R"({"threshold": 0})", kSchema, "replay: ") == "replay: threshold must be > 0, got 0");
}

TEST_CASE("config reader: the schema is parsed once and shared across threads", "[sdk][config]") {
  constexpr const char* kOwnSchema = R"({"type": "object", "properties": {"n": {"type": "integer",
      "default": 3}}, "additionalProperties": false})";
  std::vector<std::thread> threads;
  std::vector<int64_t> got(8, 0);
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&got, i, kOwnSchema] {
      const sh::Json j = sh::Json::object();
      for (int k = 0; k < 200; ++k) got[i] += sh::config::Reader(j, kOwnSchema).integer("n");
    });
  }
  for (std::thread& t : threads) t.join();
  for (int64_t g : got) CHECK(g == 600);
  // A schema that is not JSON is the plugin's bug.
  const sh::Json j = sh::Json::object();
  CHECK_THROWS_AS(sh::config::Reader(j, "{not json"), std::logic_error);
}
