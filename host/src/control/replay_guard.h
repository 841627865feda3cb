// ReplayGuard: freshness of signed `param.reload` messages.
//
// A signature proves who wrote a message, not when: a captured signed
// message published again later would bring back an old version. So a
// signed body also carries "ts_ms" (ms since the epoch, when it was signed)
// and "nonce" (8..128 of [A-Za-z0-9_-], unique per message), both covered by
// the MAC, and the control thread checks them here:
//   - a live message (the channel) must be signed within max_age_ms of now
//     (either way: a clock far ahead is refused too) and its nonce must not
//     have been seen: "refused: stale signature ..." / "refused: replayed
//     message (nonce ... already seen ...)";
//   - a desired-state message (reconcile, from the `param.desired` hash; the
//     authority after a restart, so it may be old) must not be older than the
//     newest signed message already accepted for its component: "refused:
//     stale desired state ...". Planting an old envelope in the hash does not
//     roll a component back.
// Accepted nonces and each component's newest ts_ms are committed before
// check() returns, in an LMDB environment of the control thread's own
// (`<state_dir>/control`, so the pipeline's write transaction never waits on
// it); they survive a restart. Nonces older than the window are pruned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "control/reload_message.h"
#include "store/status.h"

namespace sh::host {

class StateStore;

class ReplayGuard {
 public:
  // Opens (creating) the store in `dir`.
  static Status open(const std::string& dir, int64_t max_age_ms, std::unique_ptr<ReplayGuard>* out);
  ~ReplayGuard();

  // `req` passed its signature; `live`: from the channel, else reconcile.
  // Category "signature" on refusal; "store" when the record cannot be
  // written (the message is refused: fail closed).
  MessageCheck check(const ReloadRequest& req, bool live, int64_t now_ms);

  int64_t max_age_ms() const { return max_age_ms_; }

 private:
  ReplayGuard(std::unique_ptr<StateStore> store, int64_t max_age_ms);
  Status prune(int64_t now_ms);

  std::unique_ptr<StateStore> store_;
  int64_t max_age_ms_;
  int64_t next_prune_ms_ = 0;
};

}  // namespace sh::host
