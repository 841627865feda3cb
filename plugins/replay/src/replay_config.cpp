#include "replay_config.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
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

const nlohmann::json* member(const nlohmann::json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string get_string(const nlohmann::json& v, const std::string& where) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    throw sh::ConfigError("replay: " + where + " must be a non-empty string");
  return v.get<std::string>();
}

double get_positive(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>()))
    throw sh::ConfigError("replay: " + where + " must be a number > 0");
  return v.get<double>();
}

int64_t seconds_to_ns(double s, const std::string& where) {
  if (s > 9.0e9) throw sh::ConfigError("replay: " + where + " is too large");
  return static_cast<int64_t>(std::llround(s * 1e9));
}

void check_keys(const nlohmann::json& obj, std::initializer_list<const char*> allowed,
                const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const char* k : allowed) ok = ok || it.key() == k;
    if (!ok) throw sh::ConfigError("replay: unknown key '" + it.key() + "' in " + where);
  }
}

FileSpec parse_file_entry(const nlohmann::json& e, size_t i) {
  const std::string where = "files[" + std::to_string(i) + "]";
  if (!e.is_object()) throw sh::ConfigError("replay: " + where + " must be an object");
  check_keys(e, {"path", "type", "format", "symbol", "bar_duration_s"}, where);
  FileSpec f;
  const auto* path = member(e, "path");
  if (path == nullptr) throw sh::ConfigError("replay: " + where + ".path is required");
  f.path = get_string(*path, where + ".path");
  if (const auto* t = member(e, "type")) {
    RowType rt;
    if (!t->is_string() || !parse_row_type(t->get<std::string>(), rt))
      throw sh::ConfigError("replay: " + where + ".type must be trades, quotes, l2 or bars");
    f.type = rt;
  }
  if (const auto* fm = member(e, "format")) {
    const std::string v = fm->is_string() ? fm->get<std::string>() : "";
    if (v == "csv") f.format = Format::kCsv;
    else if (v == "jsonl") f.format = Format::kJsonl;
    else throw sh::ConfigError("replay: " + where + ".format must be csv or jsonl");
  } else {
    f.format = is_jsonl_ext(lower(fs::path(f.path).extension().string())) ? Format::kJsonl
                                                                          : Format::kCsv;
  }
  if (const auto* s = member(e, "symbol")) f.symbol = get_string(*s, where + ".symbol");
  if (const auto* d = member(e, "bar_duration_s"))
    f.bar_duration_ns = seconds_to_ns(get_positive(*d, where + ".bar_duration_s"), where);
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
  if (!c.is_object()) throw sh::ConfigError("replay: config must be a JSON object");
  check_keys(c, {"files", "dir", "symbols", "max_future_s", "l2_levels", "bar_duration_s",
                 "log_limit_per_reason"},
             "config");
  ReplayConfig cfg;
  if (const auto* files = member(c, "files")) {
    if (!files->is_array()) throw sh::ConfigError("replay: files must be an array");
    for (size_t i = 0; i < files->size(); ++i) cfg.files.push_back(parse_file_entry((*files)[i], i));
  }
  if (const auto* dir = member(c, "dir")) {
    for (FileSpec& f : scan_dir(get_string(*dir, "dir"))) cfg.files.push_back(std::move(f));
  }
  if (cfg.files.empty()) throw sh::ConfigError("replay: no input: set files or dir");
  if (const auto* syms = member(c, "symbols")) {
    if (!syms->is_array()) throw sh::ConfigError("replay: symbols must be an array of strings");
    for (size_t i = 0; i < syms->size(); ++i)
      cfg.symbols.push_back(get_string((*syms)[i], "symbols[" + std::to_string(i) + "]"));
  }
  if (const auto* v = member(c, "max_future_s"))
    cfg.max_future_ns = seconds_to_ns(get_positive(*v, "max_future_s"), "max_future_s");
  if (const auto* v = member(c, "bar_duration_s"))
    cfg.bar_duration_ns = seconds_to_ns(get_positive(*v, "bar_duration_s"), "bar_duration_s");
  if (const auto* v = member(c, "l2_levels")) {
    if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > 100000)
      throw sh::ConfigError("replay: l2_levels must be an integer in [1, 100000]");
    cfg.l2_levels = static_cast<uint32_t>(v->get<int64_t>());
  }
  if (const auto* v = member(c, "log_limit_per_reason")) {
    if (!v->is_number_integer() || v->get<int64_t>() < 0 || v->get<int64_t>() > 1000000)
      throw sh::ConfigError("replay: log_limit_per_reason must be an integer in [0, 1000000]");
    cfg.log_limit_per_reason = static_cast<uint32_t>(v->get<int64_t>());
  }
  return cfg;
}

}  // namespace replay
