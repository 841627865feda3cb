#include "detectors/shadow_trial_stage.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <system_error>
#include <nlohmann/json.hpp>

#include "store/time_format.h"

namespace sh::host {

Status ShadowTrialStage::open(StageContext& ctx) {
  ctx_ = &ctx;
  dir_ = ctx.host_config.output_dir() / "shadow";
  // The previous run's comparison is over: its trials ended with it.
  std::error_code removed;
  std::filesystem::remove(dir_ / kShadowComparisonFile, removed);
  if (ctx.config.mode != RunMode::kReplay) return Status::Ok();
  // A replay starts from empty outputs, so two replays write the same files.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".jsonl") continue;
    std::filesystem::remove(entry.path(), ec);
    if (ec) return Status::IoError(entry.path().string() + ": cannot reset for replay: " + ec.message());
  }
  return Status::Ok();
}

ShadowHitSet ShadowTrialStage::hit_set(const std::vector<Hit>& hits,
                                       const std::string& component) const {
  ShadowHitSet out;
  for (const Hit& h : hits) {
    if (*h.detector != component) continue;
    const char* name = ctx_->runtime.symbols.name(h.symbol);
    out[{name ? name : std::to_string(h.symbol), h.hit_class}] = h.score;
  }
  return out;
}

JsonlFileSink* ShadowTrialStage::file_for(const std::string& component) {
  auto it = files_.find(component);
  if (it != files_.end()) return it->second.get();
  JsonlFileSinkOptions options;
  options.path = (dir_ / (component + ".jsonl")).string();
  std::unique_ptr<JsonlFileSink> sink;
  const Status st = JsonlFileSink::open(options, &sink);
  if (!st.ok()) {
    if (should_log(++write_errors_)) spdlog::warn("shadow trial of '{}': {}", component, st.message());
    return nullptr;
  }
  return files_.emplace(component, std::move(sink)).first->second.get();
}

void ShadowTrialStage::write_hits(const std::string& component, const Minute& minute) {
  JsonlFileSink* file = nullptr;
  const int64_t ts = minute.close->minute_ts_ns;
  for (const Hit& h : minute.shadow_hits) {
    if (*h.detector != component) continue;
    if (file == nullptr && (file = file_for(component)) == nullptr) return;
    const char* name = ctx_->runtime.symbols.name(h.symbol);
    // NaN value/threshold dump as null.
    const nlohmann::json line = {{"minute", format_iso8601_utc(ts)}, {"minute_ts_ns", ts},
                                 {"component", component},         {"version", *h.detector_version},
                                 {"symbol", name ? name : ""},     {"class", h.hit_class},
                                 {"score", h.score},               {"value", h.value},
                                 {"threshold", h.threshold}};
    const Status st = file->append_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!st.ok() && should_log(++write_errors_)) {
      spdlog::warn("shadow trial of '{}': {}", component, st.message());
    }
  }
}

// An expert's or risk policy's trial (the decision stage's outputs).
void ShadowTrialStage::write_output(const ShadowOutput& out, const Minute& minute) {
  JsonlFileSink* file = out.lines.empty() ? nullptr : file_for(out.component);
  for (const std::string& line : out.lines) {
    if (file == nullptr) break;
    const Status st = file->append_line(line);
    if (!st.ok() && should_log(++write_errors_)) {
      spdlog::warn("shadow trial of '{}': {}", out.component, st.message());
    }
  }
  ctx_->shadows.add_minute(out.component, minute.close->minute_ts_ns, out.serving, out.candidate);
}

Status ShadowTrialStage::on_minute(Minute& minute) {
  for (const ShadowOutput& out : minute.shadow_outputs) write_output(out, minute);
  for (const SwapSlot& slot : ctx_->components.slots()) {
    if (!slot.shadow || slot.kind != SH_KIND_DETECTOR) continue;
    write_hits(slot.component, minute);
    ctx_->shadows.add_minute(slot.component, minute.close->minute_ts_ns,
                             hit_set(minute.hits, slot.component),
                             hit_set(minute.shadow_hits, slot.component));
  }
  return Status::Ok();
}

void ShadowTrialStage::flush_all() {
  for (auto& [component, file] : files_) {
    const Status st = file->flush();
    if (!st.ok() && should_log(++write_errors_)) {
      spdlog::warn("shadow trial of '{}': {}", component, st.message());
    }
  }
}

// The board as a file, for `host status` (replaced whole, never half-written).
void ShadowTrialStage::write_comparison() {
  if (ctx_->shadows.empty()) return;
  const std::filesystem::path path = dir_ / kShadowComparisonFile;
  const std::filesystem::path tmp = dir_ / (std::string(kShadowComparisonFile) + ".tmp");
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << ctx_->shadows.snapshot_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
    if (!out) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) std::filesystem::rename(tmp, path, ec);
  if (ec && should_log(++write_errors_)) {
    spdlog::warn("shadow trials: {}: {}", path.string(), ec.message());
  }
}

Status ShadowTrialStage::on_commit(Minute&, const Status&) {
  flush_all();
  write_comparison();
  return Status::Ok();
}

Status ShadowTrialStage::finish() {
  flush_all();
  write_comparison();
  return Status::Ok();
}

}  // namespace sh::host
