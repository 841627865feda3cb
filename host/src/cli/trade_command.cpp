#include "cli/trade_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

namespace sh::host {

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
