#include "trade_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

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

int run_trade_command(const HostConfig& config, const CliOptions& options) {
  if (options.args.size() != 1 || !is_trade_command(options.args[0])) {
    std::cerr << "host trade: expected one of: stop, resume, flatten, pause, unpause, reset-risk, "
                 "router-pause, router-resume\n";
    return 2;
  }
  const std::string& command = options.args[0];
  StateStoreOptions so;
  so.dir = config.state_dir().string();
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  StateTxn txn;
  if (st.ok()) st = store->begin_write(&txn);
  uint64_t seq = 0;
  const int64_t wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  if (st.ok()) st = put_trade_command(txn, command, wall_ns, &seq);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) {
    std::cerr << "host trade: " << st.message() << "\n";
    return 1;
  }
  std::cout << "queued operator command '" << command << "' (#" << seq << ") in " << store->dir()
            << "\n";
  return 0;
}

}  // namespace sh::host
