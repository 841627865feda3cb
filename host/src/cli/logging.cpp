#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

namespace sh::host {

namespace {

// %* in a pattern: the message as the body of a JSON string.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string escaped;
    append_json_escaped(escaped, msg.payload.data(), msg.payload.size());
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter(const std::string& format) {
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonMessageFlag>('*');
    f->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%*"})");
    return f;
  }
  return std::make_unique<spdlog::pattern_formatter>("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
}

}  // namespace

void append_json_escaped(std::string& out, const char* s, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
}

void setup_logging(const LogConfig& config) {
  const auto level = spdlog::level::from_str(config.level);
  // from_str maps unknown names to "off"; only "off" itself may mean off.
  if (level == spdlog::level::off && config.level != "off") {
    throw ConfigError("unknown log level '" + config.level +
                      "' (expected trace, debug, info, warn, error, critical or off)");
  }
  if (config.format != "text" && config.format != "json") {
    throw ConfigError("unknown log format '" + config.format + "' (expected text or json)");
  }

  std::vector<spdlog::sink_ptr> sinks;
  if (config.format == "json") {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } else {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  if (!config.file.empty()) {
    try {
      if (config.max_size_bytes > 0) {
        // host.log, host.1.log ... host.N.log: at max_size_mb the file becomes .1, the
        // oldest beyond max_files is deleted (host.log.max_files).
        sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
            config.file.string(), static_cast<size_t>(config.max_size_bytes),
            static_cast<size_t>(config.max_files)));
      } else {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.file.string()));
      }
    } catch (const spdlog::spdlog_ex& e) {
      throw ConfigError("log file " + config.file.string() + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("host", sinks.begin(), sinks.end());
  logger->set_formatter(make_formatter(config.format));
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace sh::host
