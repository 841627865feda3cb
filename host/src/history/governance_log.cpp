#include "history/governance_log.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <system_error>

#include "services/host_clock.h"
#include "store/time_format.h"

namespace sh::host {

GovernanceLog::~GovernanceLog() {
  if (file_ != nullptr) {
    std::fflush(file_);
    ::fsync(fileno(file_));
    std::fclose(file_);
  }
}

Status GovernanceLog::open(const std::filesystem::path& path, const std::string& command,
                           const std::string& run_id) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  file_ = std::fopen(path.c_str(), "ae");
  if (file_ == nullptr) return Status::IoError(path.string() + ": cannot append to the governance log");
  path_ = path;
  command_ = command;
  run_id_ = run_id;
  return Status::Ok();
}

void GovernanceLog::write(const nlohmann::ordered_json& fields) {
  if (file_ == nullptr) return;
  nlohmann::ordered_json line;
  line["ts"] = format_iso8601_utc(HostClock::wall_ns());
  line["run_id"] = run_id_;
  line["command"] = command_;
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    spdlog::error("governance log {}: write failed", path_.string());
  }
}

}  // namespace sh::host
