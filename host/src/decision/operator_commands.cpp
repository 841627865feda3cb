#include "decision/operator_commands.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/time_format.h"

namespace sh::host {

namespace {

std::string command_key(uint64_t seq) {
  std::string key(kTradeCommandPrefix);
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((seq >> shift) & 0xff));
  return key;
}

}  // namespace

bool is_trade_command(std::string_view name) {
  return name == "stop" || name == "resume" || name == "flatten" || name == "pause" ||
         name == "unpause" || name == "reset-risk" || name == "router-pause" ||
         name == "router-resume";
}

Status put_trade_command(StateTxn& txn, std::string_view command, int64_t wall_ns, uint64_t* seq) {
  uint64_t next = 1;
  Status st = meta_get_u64(txn, kMetaTradeCommandNextSeq, &next);
  if (st.is_not_found()) {
    next = 1;
  } else if (!st.ok()) {
    return st;
  }
  nlohmann::json j;
  j["command"] = std::string(command);
  j["wall_ns"] = wall_ns;
  st = txn.put(StateDb::kMeta, command_key(next), j.dump());
  if (!st.ok()) return st;
  st = meta_put_u64(txn, kMetaTradeCommandNextSeq, next + 1);
  if (!st.ok()) return st;
  if (seq != nullptr) *seq = next;
  return Status::Ok();
}

Status read_trade_commands(const StateTxn& txn, std::vector<TradeCommand>* out) {
  out->clear();
  return txn.scan_prefix(
      StateDb::kMeta, kTradeCommandPrefix, [out](std::string_view key, std::string_view value) {
        TradeCommand c;
        c.key = std::string(key);
        const std::string_view rest = key.substr(kTradeCommandPrefix.size());
        if (rest.size() == 8) {
          for (char ch : rest) c.seq = (c.seq << 8) | static_cast<unsigned char>(ch);
        }
        const auto j = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("command") &&
            j["command"].is_string()) {
          const std::string name = j["command"].get<std::string>();
          if (is_trade_command(name)) c.command = name;
          if (j.contains("wall_ns") && j["wall_ns"].is_number_integer()) {
            c.wall_ns = j["wall_ns"].get<int64_t>();
          }
        }
        out->push_back(std::move(c));
        return true;
      });
}

Status apply_operator_commands(StateStore& store, int64_t ts, const OperatorTargets& targets,
                               std::vector<std::string>* applied_keys, uint64_t* applied,
                               uint64_t* snapshot_txn) {
  applied_keys->clear();
  Broker* broker = targets.broker;
  ModelRouter* router = targets.router;
  std::vector<TradeCommand> commands;
  {
    StateTxn txn;
    Status st = store.begin_read(&txn);
    if (st.ok()) st = read_trade_commands(txn, &commands);
    if (snapshot_txn != nullptr) *snapshot_txn = txn.id();
    txn.abort();
    if (!st.ok()) return st;
  }
  for (const TradeCommand& c : commands) {
    applied_keys->push_back(c.key);
    if (c.command.empty()) {
      spdlog::warn("operator command record #{} is malformed: dropped", c.seq);
      continue;
    }
    std::string detail;
    if (c.command == "stop") {
      broker->emergency_stop();
    } else if (c.command == "resume") {
      broker->clear_emergency_stop();
    } else if (c.command == "flatten") {
      size_t orders = 0;
      const Status st = broker->flatten_all(ts, &orders);
      if (!st.ok()) return st;
      detail = " (" + std::to_string(orders) + " closing orders)";
    } else if (c.command == "pause") {
      broker->pause();
    } else if (c.command == "unpause") {
      broker->resume();
    } else if (c.command == "router-pause" || c.command == "router-resume") {
      if (router == nullptr) {
        spdlog::warn("operator command '{}': no model router is configured (consensus.router)",
                     c.command);
        continue;
      }
      if (c.command == "router-pause") router->pause(); else router->resume();
    } else if (c.command == "reset-risk") {
      std::string reset;
      for (const DecisionComponent& r : *targets.risk) {
        if (r.instance == nullptr) continue;
        const auto& keys = r.instance->library().identity().config_keys;
        if (std::find(keys.begin(), keys.end(), "reset") == keys.end()) continue;
        const std::string err = r.instance->send_command(nlohmann::json{{"reset", true}});
        if (!err.empty()) {
          spdlog::warn("operator command 'reset-risk': '{}' refused the reset: {}", r.name, err);
          continue;
        }
        reset += (reset.empty() ? "" : ", ") + r.name;
      }
      detail = reset.empty() ? " (no risk policy takes a reset)" : " (reset: " + reset + ")";
    }
    ++*applied;
    spdlog::info("operator command '{}' applied at minute {}{}", c.command, format_iso8601_utc(ts),
                 detail);
  }
  return Status::Ok();
}

}  // namespace sh::host
