#include "replay_config.h"

#include "replay_config_schema.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace replay {

namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_jsonl_ext(const std::string& ext) {
  return ext == ".jsonl" || ext == ".ndjson" || ext == ".json";
}

int64_t seconds_to_ns(double s) { return static_cast<int64_t>(std::llround(s * 1e9)); }

FileSpec parse_file_entry(const sh::config::Reader& e) {
  FileSpec f;
  f.path = e.string("path");
  if (e.has("type")) {
    RowType rt{};
    if (!parse_row_type(e.string("type"), rt))  // the schema's enum; a mismatch is a bug
      throw std::logic_error("replay: row type '" + e.string("type") + "' has no parser");
    f.type = rt;
  }
  if (e.has("format")) {
    f.format = e.choice<Format>("format", {{"csv", Format::kCsv}, {"jsonl", Format::kJsonl}});
  } else {
    f.format = is_jsonl_ext(lower(fs::path(f.path).extension().string())) ? Format::kJsonl
                                                                          : Format::kCsv;
  }
  if (e.has("symbol")) f.symbol = e.string("symbol");
  if (e.has("bar_duration_s")) f.bar_duration_ns = seconds_to_ns(e.number("bar_duration_s"));
  return f;
}

// Data files of dir, sorted by file name so the merge order is reproducible.
std::vector<FileSpec> scan_dir(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw sh::ConfigError("replay: cannot read dir '" + dir + "': " + ec.message());
  std::vector<fs::path> paths;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw sh::ConfigError("replay: cannot read dir '" + dir + "': " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = lower(it->path().extension().string());
    if (ext == ".csv" || ext == ".jsonl" || ext == ".ndjson") paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<FileSpec> out;
  for (const fs::path& p : paths) {
    FileSpec f;
    f.path = p.string();
    f.format = is_jsonl_ext(lower(p.extension().string())) ? Format::kJsonl : Format::kCsv;
    out.push_back(std::move(f));
  }
  if (out.empty()) throw sh::ConfigError("replay: dir '" + dir + "' has no .csv/.jsonl files");
  return out;
}

}  // namespace

ReplayConfig parse_replay_config(const nlohmann::json& c) {
  const sh::config::Reader r(c, kReplayConfigSchema, "replay: ");
  ReplayConfig cfg;
  for (const sh::config::Reader& e : r.object_list("files")) cfg.files.push_back(parse_file_entry(e));
  if (r.has("dir")) {
    for (FileSpec& f : scan_dir(r.string("dir"))) cfg.files.push_back(std::move(f));
  }
  if (cfg.files.empty()) throw sh::ConfigError("replay: no input: set files or dir");
  if (r.has("symbols")) cfg.symbols = r.string_list("symbols");
  cfg.max_future_ns = seconds_to_ns(r.number("max_future_s"));
  cfg.bar_duration_ns = seconds_to_ns(r.number("bar_duration_s"));
  cfg.l2_levels = static_cast<uint32_t>(r.integer("l2_levels"));
  cfg.log_limit_per_reason = static_cast<uint32_t>(r.integer("log_limit_per_reason"));
  if (r.has("parse_thread")) cfg.parse_thread = r.boolean("parse_thread");
  return cfg;
}

}  // namespace replay
