#include "control/replay_guard.h"

#include <string>
#include <vector>

#include "store/state_store.h"
#include "store/time_format.h"

namespace sh::host {

namespace {

constexpr std::string_view kNoncePrefix = "reload_nonce/";      // nonce -> ts_ms
constexpr std::string_view kNewestPrefix = "reload_newest/";    // component -> ts_ms

std::string iso_ms(int64_t ms) { return format_iso8601_utc(ms * 1000000); }

bool parse_i64(const std::string& s, int64_t* v) {
  try {
    size_t used = 0;
    *v = std::stoll(s, &used);
    return used == s.size();
  } catch (...) {
    return false;
  }
}

}  // namespace

ReplayGuard::ReplayGuard(std::unique_ptr<StateStore> store, int64_t max_age_ms)
    : store_(std::move(store)), max_age_ms_(max_age_ms) {}

ReplayGuard::~ReplayGuard() = default;

Status ReplayGuard::open(const std::string& dir, int64_t max_age_ms, std::unique_ptr<ReplayGuard>* out) {
  StateStoreOptions so;
  so.dir = dir;
  so.map_size_bytes = uint64_t{64} << 20;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  if (!st.ok()) return Status::IoError("signed reloads: nonce store: " + st.message());
  out->reset(new ReplayGuard(std::move(store), max_age_ms));
  return Status::Ok();
}

Status ReplayGuard::prune(int64_t now_ms) {
  // A nonce older than the window can never be accepted again anyway.
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (!st.ok()) return st;
  std::vector<std::string> old;
  st = txn.scan_prefix(StateDb::kMeta, kNoncePrefix, [&](std::string_view k, std::string_view v) {
    int64_t ts = 0;
    if (!parse_i64(std::string(v), &ts) || ts < now_ms - 2 * max_age_ms_) old.emplace_back(k);
    return true;
  });
  for (const std::string& k : old) {
    if (st.ok()) st = txn.del(StateDb::kMeta, k);
  }
  if (!st.ok()) return st;
  return txn.commit();
}

MessageCheck ReplayGuard::check(const ReloadRequest& req, bool live, int64_t now_ms) {
  if (!req.signed_ts_ms || req.nonce.empty()) {
    return MessageCheck::refuse("signature",
                                "refused: signed message without ts_ms and nonce (sign it with "
                                "`host reload`, which adds them)");
  }
  const int64_t ts = *req.signed_ts_ms;
  if (now_ms >= next_prune_ms_) {
    if (prune(now_ms).ok()) next_prune_ms_ = now_ms + max_age_ms_;
  }
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (!st.ok()) return MessageCheck::refuse("store", "refused: nonce store: " + st.message());

  const std::string newest_key = std::string(kNewestPrefix) + req.component;
  std::string text;
  int64_t newest = INT64_MIN;
  st = txn.get(StateDb::kMeta, newest_key, &text);
  if (st.ok() && !parse_i64(text, &newest)) newest = INT64_MIN;
  if (live) {
    const int64_t age = now_ms - ts;
    if (age > max_age_ms_ || age < -max_age_ms_) {
      return MessageCheck::refuse(
          "signature", "refused: stale signature: signed at " + iso_ms(ts) + ", " +
                           (age > 0 ? std::to_string(age / 1000) + " s ago"
                                    : std::to_string(-age / 1000) + " s in the future") +
                           " (window " + std::to_string(max_age_ms_ / 1000) + " s)");
    }
    const std::string nonce_key = std::string(kNoncePrefix) + req.nonce;
    std::string seen;
    if (txn.get(StateDb::kMeta, nonce_key, &seen).ok()) {
      int64_t seen_ts = 0;
      return MessageCheck::refuse(
          "signature", "refused: replayed message (nonce " + req.nonce + " already seen" +
                           (parse_i64(seen, &seen_ts) ? ", signed at " + iso_ms(seen_ts) : "") + ")");
    }
    st = txn.put(StateDb::kMeta, nonce_key, std::to_string(ts));
  } else if (ts < newest) {
    return MessageCheck::refuse("signature",
                                "refused: stale desired state: signed at " + iso_ms(ts) +
                                    ", before the newest accepted message for " + req.component +
                                    " (signed at " + iso_ms(newest) + ")");
  }
  if (st.ok() && ts > newest) st = txn.put(StateDb::kMeta, newest_key, std::to_string(ts));
  if (st.ok()) st = txn.commit();
  if (!st.ok()) return MessageCheck::refuse("store", "refused: nonce store: " + st.message());
  return MessageCheck::accept();
}

}  // namespace sh::host
