// The governance log (runbook 001: "every decision ... with its reason"):
// JSON lines appended to history.governance_log, one per decision, each
// flushed as written:
//   {"ts":"2026-12-06T22:00:00Z","run_id":"...","command":"backfill",
//    "symbol":"AAPL","class":"stocks","decision":"skip_provider",
//    "provider":"alpaca_like","reason":"HISTORY_TOO_SHORT","detail":"..."}
#pragma once

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "store/status.h"

namespace sh::host {

class GovernanceLog {
 public:
  GovernanceLog() = default;
  ~GovernanceLog();
  GovernanceLog(const GovernanceLog&) = delete;
  GovernanceLog& operator=(const GovernanceLog&) = delete;

  // Appends to path (creating its directory). command: "backfill" | "verify".
  Status open(const std::filesystem::path& path, const std::string& command, const std::string& run_id);
  const std::filesystem::path& path() const { return path_; }

  // One line: ts, run_id, command, then the fields of `fields` in order.
  void write(const nlohmann::ordered_json& fields);

 private:
  std::FILE* file_ = nullptr;
  std::filesystem::path path_;
  std::string command_, run_id_;
};

}  // namespace sh::host
