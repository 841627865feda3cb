#include "store/state_store.h"

#include <sys/statvfs.h>

#include <lmdb.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "events/output_digest.h"
#include "store/snapshot_codec.h"
#include "store/time_format.h"
#include "store/write_batch.h"

namespace sh::host {
namespace {

// Free bytes on the file system of `dir` (statvfs, as an unprivileged
// process may use them); UINT64_MAX when it cannot be read.
uint64_t free_bytes(const std::string& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

// Less than 1 MiB left: a failed write there is the disk being full.
bool disk_nearly_full(const std::string& dir) { return free_bytes(dir) < (uint64_t{1} << 20); }

std::string free_space_text(const std::string& dir) {
  const uint64_t f = free_bytes(dir);
  if (f == UINT64_MAX) return "free space unknown";
  return std::to_string(f / 1024) + " KiB free on its file system";
}


const char* const kDbNames[kStateDbCount] = {
    "features_snapshot", "events", "positions", "orders", "config_versions", "swap_journal",
    "meta", "price_history", "symbol_governance"};

// A database a read-only open did not find (appended after the store was made).
constexpr unsigned kAbsentDbi = ~0u;

// Room for databases later code may add without a migration.
constexpr unsigned kMaxDbs = 32;

// LMDB must not be opened twice in one process (closing either handle drops
// the other's POSIX locks). Canonical directories currently open.
std::mutex g_open_mutex;
std::set<std::string>& open_dirs() {
  static std::set<std::string> dirs;
  return dirs;
}

MDB_val to_val(std::string_view s) {
  MDB_val v;
  v.mv_size = s.size();
  v.mv_data = const_cast<char*>(s.data());
  return v;
}

std::string_view from_val(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

std::string be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

Status::Code code_for(int rc) {
  switch (rc) {
    case MDB_NOTFOUND: return Status::Code::kNotFound;
    case MDB_MAP_FULL:
    case ENOSPC: return Status::Code::kFull;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return Status::Code::kCorruption;
    case MDB_BAD_VALSIZE:
    case EINVAL: return Status::Code::kInvalidArgument;
    default: return Status::Code::kIoError;
  }
}

Status make_status(Status::Code code, std::string msg) {
  switch (code) {
    case Status::Code::kOk: return Status::Ok();
    case Status::Code::kNotFound: return Status::NotFound(std::move(msg));
    case Status::Code::kFull: return Status::Full(std::move(msg));
    case Status::Code::kCorruption: return Status::Corruption(std::move(msg));
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(std::move(msg));
    case Status::Code::kFailedPrecondition: return Status::FailedPrecondition(std::move(msg));
    default: return Status::IoError(std::move(msg));
  }
}

Status env_error(const std::string& dir, const std::string& what, int rc) {
  return make_status(code_for(rc),
                     "state store " + dir + ": " + what + ": " + mdb_strerror(rc));
}

}  // namespace

const char* state_db_name(StateDb db) { return kDbNames[static_cast<int>(db)]; }

// ---------------------------------------------------------------------------
// StateTxn

StateTxn::~StateTxn() { abort(); }

StateTxn::StateTxn(StateTxn&& other) noexcept
    : store_(other.store_),
      txn_(other.txn_),
      batch_(other.batch_),
      writable_(other.writable_),
      hold_(std::move(other.hold_)) {
  other.txn_ = nullptr;
  other.batch_ = nullptr;
}

StateTxn& StateTxn::operator=(StateTxn&& other) noexcept {
  if (this != &other) {
    abort();
    store_ = other.store_;
    txn_ = other.txn_;
    batch_ = other.batch_;
    writable_ = other.writable_;
    hold_ = std::move(other.hold_);
    other.txn_ = nullptr;
    other.batch_ = nullptr;
  }
  return *this;
}

Status StateTxn::mdb_error(const char* what, int rc) const {
  last_rc_ = rc;
  return env_error(store_ != nullptr ? store_->dir() : std::string("?"), what, rc);
}

Status StateTxn::get(StateDb db, std::string_view key, std::string* value) const {
  if (txn_ == nullptr) {
    return Status::FailedPrecondition(batch_ != nullptr ? "state store: get in a staged txn (use in_txn)"
                                                        : "state store: get on an inactive txn");
  }
  MDB_val k = to_val(key);
  MDB_val v;
  const int rc = store_->dbi(db) == kAbsentDbi ? MDB_NOTFOUND : mdb_get(txn_, store_->dbi(db), &k, &v);
  if (rc == MDB_NOTFOUND) {
    return Status::NotFound("state store " + store_->dir() + ": no key in " + state_db_name(db));
  }
  if (rc != 0) return mdb_error((std::string("get in ") + state_db_name(db)).c_str(), rc);
  value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
  return Status::Ok();
}

Status StateTxn::scan(StateDb db, std::string_view begin, std::string_view end,
                      const ScanFn& fn) const {
  if (txn_ == nullptr) {
    return Status::FailedPrecondition(batch_ != nullptr ? "state store: scan in a staged txn (use in_txn)"
                                                        : "state store: scan on an inactive txn");
  }
  if (store_->dbi(db) == kAbsentDbi) return Status::Ok();  // nothing stored
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, store_->dbi(db), &cursor);
  if (rc != 0) return mdb_error((std::string("cursor on ") + state_db_name(db)).c_str(), rc);
  MDB_val k = to_val(begin);
  MDB_val v;
  // MDB_SET_RANGE: first key >= begin (LMDB rejects an empty key, so an
  // empty begin starts at the first key).
  rc = mdb_cursor_get(cursor, &k, &v, begin.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0) {
    const std::string_view key = from_val(k);
    if (!end.empty() && key >= end) break;
    if (!fn(key, from_val(v))) break;
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return mdb_error((std::string("scan of ") + state_db_name(db)).c_str(), rc);
  }
  return Status::Ok();
}

Status StateTxn::put(StateDb db, std::string_view key, std::string_view value) {
  if (batch_ != nullptr) {
    batch_->put(db, key, value);
    return Status::Ok();
  }
  if (txn_ == nullptr || !writable_) {
    return Status::FailedPrecondition("state store: put needs an active write txn");
  }
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_put(txn_, store_->dbi(db), &k, &v, 0);
  if (rc != 0) return mdb_error((std::string("put in ") + state_db_name(db)).c_str(), rc);
  return Status::Ok();
}

Status StateTxn::del(StateDb db, std::string_view key) {
  if (batch_ != nullptr) {
    batch_->del(db, key);
    return Status::Ok();
  }
  if (txn_ == nullptr || !writable_) {
    return Status::FailedPrecondition("state store: del needs an active write txn");
  }
  MDB_val k = to_val(key);
  const int rc = mdb_del(txn_, store_->dbi(db), &k, nullptr);
  if (rc == MDB_NOTFOUND) {
    return Status::NotFound("state store " + store_->dir() + ": no key in " + state_db_name(db));
  }
  if (rc != 0) return mdb_error((std::string("delete in ") + state_db_name(db)).c_str(), rc);
  return Status::Ok();
}

Status StateTxn::commit() {
  if (batch_ != nullptr) return Status::FailedPrecondition("state store: commit of a staged txn");
  if (txn_ == nullptr) return Status::FailedPrecondition("state store: commit of an inactive txn");
  // mdb_txn_commit frees the txn whether or not it succeeds.
  const int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  if (hold_.owns_lock()) hold_.unlock();
  if (rc != 0) return mdb_error("commit", rc);
  return Status::Ok();
}

void StateTxn::abort() {
  batch_ = nullptr;
  if (txn_ != nullptr) {
    mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  if (hold_.owns_lock()) hold_.unlock();
}

Status meta_put_u64(StateTxn& txn, std::string_view key, uint64_t value) {
  return txn.put(StateDb::kMeta, key, be64(value));
}

Status meta_get_u64(const StateTxn& txn, std::string_view key, uint64_t* value) {
  std::string raw;
  Status st = txn.get(StateDb::kMeta, key, &raw);
  if (!st.ok()) return st;
  if (raw.size() != 8) {
    return Status::Corruption("state store: meta." + std::string(key) + " has " +
                              std::to_string(raw.size()) + " bytes, expected 8");
  }
  uint64_t v = 0;
  for (unsigned char c : raw) v = (v << 8) | c;
  *value = v;
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// StateStore

namespace {

// The feature set is the schema of features_snapshot's values: a store is
// read back with the columns it was written with, or not at all.
Status check_feature_set(StateTxn& txn, const StateStoreOptions& options) {
  std::string stored;
  Status st = txn.get(StateDb::kMeta, kMetaFeatureSet, &stored);
  if (st.is_not_found()) {
    // Written by a host from before features: (the default set), or new.
    stored = options.default_feature_set;
    if (options.read_only) return Status::Ok();
    if (options.feature_set != stored) {
      uint64_t last = 0;
      const Status has = meta_get_u64(txn, kMetaLastMinuteTsNs, &last);
      if (has.is_not_found()) stored = options.feature_set;  // a new store: any set
    }
    if (options.feature_set == stored) return txn.put(StateDb::kMeta, kMetaFeatureSet, stored);
  } else if (!st.ok()) {
    return st;
  }
  if (stored == options.feature_set) return Status::Ok();
  return Status::FailedPrecondition(
      "state store " + options.dir + " was created with another feature set (features: defines "
      "the columns of features_snapshot): stored [" + stored + "], configured [" +
      options.feature_set + "]; start with a new state_dir (a new store) or restore the store's "
      "features: section");
}

}  // namespace

Status StateStore::open(const StateStoreOptions& options, std::unique_ptr<StateStore>* store) {
  namespace fs = std::filesystem;
  if (options.dir.empty()) return Status::InvalidArgument("state store: empty state_dir");
  const std::string& dir = options.dir;
  std::error_code ec;
  if (!options.read_only) {
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError("state store " + dir + ": cannot create: " + ec.message());
  }
  const fs::path canonical = fs::canonical(dir, ec);
  if (ec) return Status::IoError("state store " + dir + ": " + ec.message());

  std::unique_ptr<StateStore> s(new StateStore());
  s->dir_ = dir;
  s->read_only_ = options.read_only;
  s->max_map_size_ = options.max_map_size_bytes;
  {
    std::lock_guard<std::mutex> lock(g_open_mutex);
    if (!open_dirs().insert(canonical.string()).second) {
      return Status::FailedPrecondition("state store " + dir +
                                        ": already open in this process (LMDB allows one "
                                        "environment handle per process)");
    }
  }
  s->registry_key_ = canonical.string();  // from here the destructor unregisters

  int rc = mdb_env_create(&s->env_);
  if (rc != 0) {
    s->env_ = nullptr;
    return env_error(dir, "mdb_env_create", rc);
  }
  if ((rc = mdb_env_set_maxdbs(s->env_, kMaxDbs)) != 0) {
    return env_error(dir, "mdb_env_set_maxdbs", rc);
  }
  if ((rc = mdb_env_set_mapsize(s->env_, options.map_size_bytes)) != 0) {
    return env_error(dir, "set map size " + std::to_string(options.map_size_bytes), rc);
  }
  // Default sync behaviour on purpose: see the header (kill -9 durability).
  // Without sync_commits: MDB_NOSYNC keeps committed data across kill -9 (it
  // is in the OS page cache when the commit returns), not across an OS crash.
  // (MDB_WRITEMAP was measured: fewer syscalls but 10x worse p99 from page
  // fault stalls.)
  const bool nosync = !options.sync_commits && !options.read_only;
  const unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0u) |
                         (nosync ? MDB_NOSYNC : 0u);
  if ((rc = mdb_env_open(s->env_, dir.c_str(), flags, 0644)) != 0) {
    return env_error(dir, "open", rc);
  }
  int dead_readers = 0;
  mdb_reader_check(s->env_, &dead_readers);  // slots of killed processes

  StateTxn txn;
  Status st = s->begin(&txn, !options.read_only);
  if (!st.ok()) return st;
  for (int i = 0; i < kStateDbCount; ++i) {
    MDB_dbi dbi = 0;
    rc = mdb_dbi_open(txn.txn_, kDbNames[i], options.read_only ? 0u : unsigned{MDB_CREATE},
                      &dbi);
    if (rc == MDB_NOTFOUND && options.read_only && i >= kStateDbRequiredCount) {
      s->dbis_[i] = kAbsentDbi;
      continue;
    }
    if (rc == MDB_NOTFOUND) {
      return Status::NotFound("state store " + dir + ": database '" + kDbNames[i] +
                              "' missing (not a state directory, or never opened for writing)");
    }
    if (rc != 0) return env_error(dir, std::string("open database ") + kDbNames[i], rc);
    s->dbis_[i] = dbi;
  }
  uint64_t schema = 0;
  st = meta_get_u64(txn, kMetaSchemaVersion, &schema);
  if (st.is_not_found() && !options.read_only) {
    st = meta_put_u64(txn, kMetaSchemaVersion, kStateSchemaVersion);
    schema = kStateSchemaVersion;
  }
  if (!st.ok() && !st.is_not_found()) return st;
  if (st.ok() && schema > kStateSchemaVersion) {
    return Status::FailedPrecondition("state store " + dir + ": schema version " +
                                      std::to_string(schema) + " was written by a newer host (" +
                                      "this host supports " +
                                      std::to_string(kStateSchemaVersion) + ")");
  }
  if (!options.feature_set.empty()) {
    st = check_feature_set(txn, options);
    if (!st.ok()) return st;
  }
  st = txn.commit();  // also publishes the dbi handles to later transactions
  if (!st.ok()) return st;
  *store = std::move(s);
  return Status::Ok();
}

StateStore::~StateStore() {
  if (env_ != nullptr) mdb_env_close(env_);
  if (!registry_key_.empty()) {
    std::lock_guard<std::mutex> lock(g_open_mutex);
    open_dirs().erase(registry_key_);
  }
}

uint64_t StateStore::map_size_bytes() const {
  MDB_envinfo info;
  if (mdb_env_info(env_, &info) != 0) return 0;
  return info.me_mapsize;
}

Status StateStore::begin(StateTxn* txn, bool write) const {
  txn->abort();
  std::shared_lock<std::shared_timed_mutex> hold(resize_mu_);
  MDB_txn* t = nullptr;
  const unsigned flags = write ? 0u : unsigned{MDB_RDONLY};
  int rc = mdb_txn_begin(env_, nullptr, flags, &t);
  if (rc == MDB_MAP_RESIZED) {
    // Another process grew the map: adopt its size and retry once.
    mdb_env_set_mapsize(env_, 0);
    rc = mdb_txn_begin(env_, nullptr, flags, &t);
  }
  if (rc != 0) return env_error(dir_, write ? "begin write txn" : "begin read txn", rc);
  txn->store_ = this;
  txn->txn_ = t;
  txn->writable_ = write;
  txn->hold_ = std::move(hold);
  return Status::Ok();
}

Status StateStore::begin_read(StateTxn* txn) const { return begin(txn, false); }

uint64_t StateStore::last_txn_id() const {
  MDB_envinfo info;
  if (mdb_env_info(env_, &info) != 0) return 0;
  return static_cast<uint64_t>(info.me_last_txnid);
}

uint64_t StateTxn::id() const { return txn_ != nullptr ? static_cast<uint64_t>(mdb_txn_id(txn_)) : 0; }

Status StateStore::begin_write(StateTxn* txn) {
  if (read_only_) {
    return Status::FailedPrecondition("state store " + dir_ + ": opened read-only");
  }
  txn->abort();
  // Over 3/4 full: grow now, while no transaction of ours is active (if one
  // is, e.g. a reader on another thread, the next write tries again).
  grow_map(false, std::chrono::milliseconds(0));
  return begin(txn, true);
}

uint64_t StateStore::map_used_bytes() const {
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(env_, &info) != 0 || mdb_env_stat(env_, &stat) != 0) return 0;
  return (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
}

Status StateStore::grow_map(bool force, std::chrono::milliseconds wait) {
  const uint64_t size = map_size_bytes();
  const uint64_t used = map_used_bytes();
  if (!force && used < size / 4 * 3) return Status::Ok();
  uint64_t next = size * 2;
  if (max_map_size_ != 0 && next > max_map_size_) next = max_map_size_;
  if (next <= size) {
    return Status::Full("the map is at state.max_map_size_mb (" + std::to_string(size >> 20) + " MB)");
  }
  std::unique_lock<std::shared_timed_mutex> resize(resize_mu_, std::defer_lock);
  const bool locked = wait.count() > 0 ? resize.try_lock_for(wait) : resize.try_lock();
  if (!locked) return Status::Unavailable("another transaction of this process is active");
  const int rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) return env_error(dir_, "grow the map to " + std::to_string(next >> 20) + " MB", rc);
  ++map_growths_;
  spdlog::info("state store {}: map grown from {} MB to {} MB ({} MB in use){}", dir_, size >> 20,
               next >> 20, used >> 20,
               max_map_size_ != 0 ? " (at most " + std::to_string(max_map_size_ >> 20) + " MB)" : "");
  return Status::Ok();
}

Status StateStore::write_minute(const MinuteWrite& minute, const TxnHook& also) {
  bool map_full = false;
  Status st = write_minute_once(minute, also, &map_full);
  // Nothing of the minute was stored: grow the map (doubling) and write it
  // again, until it fits or the map is at its cap.
  for (int tries = 0; map_full && tries < 16; ++tries) {
    const Status grown = grow_map(true, std::chrono::milliseconds(2000));
    if (!grown.ok()) return Status::Full(st.message() + " (" + grown.message() + ")");
    st = write_minute_once(minute, also, &map_full);
  }
  return st;
}

Status StateStore::write_minute_once(const MinuteWrite& minute, const TxnHook& also, bool* map_full) {
  *map_full = false;
  const std::string when = format_iso8601_utc(minute.minute_ts_ns);
  auto fail = [&](const Status& st, const std::string& what) {
    return make_status(st.code(), "state store " + dir_ + ": " + what + " writing minute " +
                                      when + ": " + st.message());
  };
  // Errors that already name the store: just add the minute.
  auto with_minute = [&](const Status& st) {
    return make_status(st.code(), st.message() + " (writing minute " + when + ")");
  };
  // Validate everything before touching LMDB.
  if (minute.minute_ts_ns < 0) {
    return fail(Status::InvalidArgument("negative minute_ts_ns"), "bad minute");
  }
  for (const SnapshotRow& r : minute.rows) {
    Status st = validate_snapshot_symbol(r.symbol);
    if (!st.ok()) return fail(st, "bad row");
    if (r.row.minute_ts_ns < 0) {
      return fail(Status::InvalidArgument("negative minute_ts_ns for " + r.symbol), "bad row");
    }
  }

  StateTxn txn;
  Status st = begin_write(&txn);
  if (!st.ok()) return with_minute(st);

  // Turns a failed LMDB call of this transaction into the minute's error.
  auto put_failed = [&](const Status& put_st) {
    const int rc = txn.last_rc_;
    if (rc == MDB_MAP_FULL) {
      *map_full = true;
      return Status::Full("state store " + dir_ + ": map full writing minute " + when + " (" +
                          std::to_string(map_size_bytes() >> 20) + " MB)");
    }
    // LMDB turns a short write into EIO: on a full file system that is the
    // disk being full, and the operator must read that, not "I/O error".
    if (rc == ENOSPC || (rc == EIO && disk_nearly_full(dir_))) {
      return Status::Full("state store " + dir_ + ": disk full writing minute " + when + ": " +
                          mdb_strerror(ENOSPC) + " (" + free_space_text(dir_) + ")");
    }
    if (rc != 0) {
      return make_status(code_for(rc), "state store " + dir_ + ": " + mdb_strerror(rc) +
                                           " writing minute " + when);
    }
    return put_st;  // not an LMDB failure (e.g. a hook's own error)
  };

  // Every row's key and value go into one arena (one allocation per minute,
  // not two strings per row); the digest reads them back from it after the
  // commit, in row order.
  const size_t n_rows = minute.rows.size();
  std::string arena;
  arena.reserve(n_rows * (16 + kSnapshotHeaderBytes + sizeof(sh_feature_row)));
  struct Span {
    size_t key_at, key_len, value_at, value_len;
  };
  std::vector<Span> spans(n_rows);
  std::string value;
  for (size_t i = 0; i < n_rows; ++i) {
    const SnapshotRow& r = minute.rows[i];
    st = minute.extra_count > 0 && minute.extra.size() >= (i + 1) * size_t{minute.extra_count}
             ? encode_snapshot_row(r.row, &value, minute.extra.data() + i * minute.extra_count,
                                   minute.extra_count)
             : encode_snapshot_row(r.row, &value);
    if (!st.ok()) return fail(st, "bad row for " + r.symbol);
    Span& sp = spans[i];
    sp.key_at = arena.size();
    const auto ts = static_cast<uint64_t>(r.row.minute_ts_ns);  // == snapshot_key()
    for (int b = 7; b >= 0; --b) arena.push_back(static_cast<char>((ts >> (8 * b)) & 0xff));
    arena.append(r.symbol);
    sp.key_len = arena.size() - sp.key_at;
    sp.value_at = arena.size();
    arena.append(value);
    sp.value_len = value.size();
  }
  auto key_of = [&](size_t i) {
    return std::string_view(arena).substr(spans[i].key_at, spans[i].key_len);
  };
  auto value_of = [&](size_t i) {
    return std::string_view(arena).substr(spans[i].value_at, spans[i].value_len);
  };

  // Put in key order, appending (MDB_APPEND: no B-tree search, pages filled
  // left to right) while each key is larger than the last stored one, which
  // is the normal case: a close's minute is newer than everything stored and
  // keys are minute-major. Anything else (a rewrite of an older minute, the
  // same key twice) falls back to a plain put, which is an upsert.
  std::vector<uint32_t> order(n_rows);
  for (size_t i = 0; i < n_rows; ++i) order[i] = static_cast<uint32_t>(i);
  bool sorted = true;
  for (size_t i = 1; i < n_rows && sorted; ++i) sorted = key_of(i - 1) < key_of(i);
  if (!sorted) {
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return key_of(a) < key_of(b); });
  }
  {
    const MDB_dbi snap_dbi = dbi(StateDb::kFeaturesSnapshot);
    bool append = true;
    for (uint32_t i : order) {
      MDB_val k = to_val(key_of(i));
      MDB_val v = to_val(value_of(i));
      int rc = append ? mdb_put(txn.txn_, snap_dbi, &k, &v, MDB_APPEND) : MDB_KEYEXIST;
      if (rc == MDB_KEYEXIST) {
        append = false;
        rc = mdb_put(txn.txn_, snap_dbi, &k, &v, 0);
      }
      if (rc != 0) return put_failed(txn.mdb_error("put in features_snapshot", rc));
    }
  }

  uint64_t last_seq = 0;
  st = meta_get_u64(txn, kMetaLastSeq, &last_seq);
  if (!st.ok() && !st.is_not_found()) return with_minute(st);
  bool seq_changed = false;
  for (const EventRecord& e : minute.events) {
    st = txn.put(StateDb::kEvents, be64(e.seq), format_event_json(e));
    if (!st.ok()) return put_failed(st);
    if (e.seq > last_seq) {
      last_seq = e.seq;
      seq_changed = true;
    }
  }
  if (seq_changed) {
    st = meta_put_u64(txn, kMetaLastSeq, last_seq);
    if (!st.ok()) return put_failed(st);
  }

  uint64_t last_minute = 0;
  st = meta_get_u64(txn, kMetaLastMinuteTsNs, &last_minute);
  if (!st.ok() && !st.is_not_found()) return with_minute(st);
  if (st.is_not_found() || static_cast<int64_t>(last_minute) < minute.minute_ts_ns) {
    st = meta_put_u64(txn, kMetaLastMinuteTsNs, static_cast<uint64_t>(minute.minute_ts_ns));
    if (!st.ok()) return put_failed(st);
  }

  if (also) {
    st = also(txn);
    if (!st.ok()) return put_failed(st);
  }

  st = txn.commit();
  if (!st.ok()) return put_failed(st);

  if (digest_ != nullptr) {
    std::string rec;
    for (size_t r = 0; r < n_rows; ++r) {
      rec.clear();
      for (const std::string_view part : {key_of(r), value_of(r)}) {
        const auto n = static_cast<uint32_t>(part.size());
        for (int i = 0; i < 4; ++i) rec.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
        rec.append(part);
      }
      digest_->add("features_snapshot", rec);
    }
  }
  return Status::Ok();
}

Status StateStore::get_snapshot(std::string_view symbol, int64_t minute_ts_ns,
                                sh_feature_row* row) const {
  Status st = validate_snapshot_symbol(symbol);
  if (!st.ok()) return st;
  StateTxn txn;
  st = begin_read(&txn);
  if (!st.ok()) return st;
  std::string value;
  st = txn.get(StateDb::kFeaturesSnapshot, snapshot_key(symbol, minute_ts_ns), &value);
  if (st.is_not_found()) {
    return Status::NotFound("state store " + dir_ + ": no snapshot for " + std::string(symbol) +
                            " at " + format_iso8601_utc(minute_ts_ns));
  }
  if (!st.ok()) return st;
  return decode_snapshot_row(value, row);
}

Status StateStore::scan_snapshots(std::string_view symbol, int64_t from_ns, int64_t to_ns,
                                  const SnapshotFn& fn) const {
  return scan_snapshot_columns(symbol, from_ns, to_ns,
                               [&fn](const sh_feature_row& row, const std::vector<double>&) { return fn(row); });
}

Status StateStore::feature_set(std::string* signature) const {
  StateTxn txn;
  Status st = begin_read(&txn);
  if (!st.ok()) return st;
  return txn.get(StateDb::kMeta, kMetaFeatureSet, signature);
}

Status StateStore::scan_snapshot_columns(std::string_view symbol, int64_t from_ns, int64_t to_ns,
                                         const SnapshotColumnsFn& fn) const {
  Status st = validate_snapshot_symbol(symbol);
  if (!st.ok()) return st;
  if (from_ns < 0) from_ns = 0;  // keys hold non-negative minutes only
  if (to_ns <= from_ns) return Status::Ok();
  StateTxn txn;
  st = begin_read(&txn);
  if (!st.ok()) return st;
  // Keys are minute-major (see snapshot_codec.h): seek to (minute, symbol);
  // the first key at or after it is the row, another symbol of the same
  // minute (absent: try the next minute) or a later minute (seek there).
  Status decode_st;
  bool stop = false;
  int64_t seek_ns = from_ns;
  std::vector<double> extra;
  while (!stop && seek_ns < to_ns) {
    bool seen = false;
    st = txn.scan(StateDb::kFeaturesSnapshot, snapshot_key(symbol, seek_ns), "",
                  [&](std::string_view key, std::string_view value) {
                    seen = true;
                    std::string sym;
                    int64_t ts = 0;
                    if (!parse_snapshot_key(key, &sym, &ts)) {
                      decode_st = Status::Corruption("state store " + dir_ + ": malformed snapshot key");
                      stop = true;
                      return false;
                    }
                    if (ts >= to_ns) {
                      stop = true;
                      return false;
                    }
                    if (sym != symbol) {
                      seek_ns = sym < symbol ? ts : ts + 1;
                      return false;
                    }
                    sh_feature_row row;
                    decode_st = decode_snapshot_row(value, &row, &extra);
                    if (!decode_st.ok()) {
                      decode_st = Status::Corruption("state store " + dir_ + ": row " + sym + " " +
                                                     format_iso8601_utc(ts) + ": " +
                                                     decode_st.message());
                      stop = true;
                      return false;
                    }
                    if (!fn(row, extra)) stop = true;
                    seek_ns = ts + 1;
                    return false;
                  });
    if (!st.ok()) return st;
    if (!seen) break;
  }
  return decode_st;
}

Status StateStore::last_seq(uint64_t* seq) const {
  StateTxn txn;
  Status st = begin_read(&txn);
  if (!st.ok()) return st;
  st = meta_get_u64(txn, kMetaLastSeq, seq);
  if (st.is_not_found()) {
    *seq = 0;
    return Status::Ok();
  }
  return st;
}

Status StateStore::last_minute_ts_ns(int64_t* ts_ns) const {
  StateTxn txn;
  Status st = begin_read(&txn);
  if (!st.ok()) return st;
  uint64_t v = 0;
  st = meta_get_u64(txn, kMetaLastMinuteTsNs, &v);
  if (!st.ok()) return st;
  *ts_ns = static_cast<int64_t>(v);
  return Status::Ok();
}

Status StateStore::copy_to(const std::string& dir, bool compact) const {
  std::shared_lock<std::shared_timed_mutex> hold(resize_mu_);  // its own read txn
  const int rc = mdb_env_copy2(env_, dir.c_str(), compact ? MDB_CP_COMPACT : 0u);
  if (rc != 0) {
    return Status::IoError("state store " + dir_ + ": copy to " + dir + ": " + mdb_strerror(rc));
  }
  return Status::Ok();
}

Status StateStore::sync() {
  if (read_only_) return Status::Ok();
  const int rc = mdb_env_sync(env_, 1);
  if (rc != 0) return Status::IoError("state store " + dir_ + ": sync: " + mdb_strerror(rc));
  return Status::Ok();
}

Status StateStore::expire_snapshots(StateTxn& txn, int64_t cutoff_ns, size_t max_rows,
                                    const ExpireFn& exported, size_t* deleted) const {
  *deleted = 0;
  if (!txn.writable()) return Status::FailedPrecondition("state store: expiry needs a write txn");
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.txn_, dbi(StateDb::kFeaturesSnapshot), &cursor);
  if (rc != 0) return txn.mdb_error("cursor on features_snapshot", rc);
  MDB_val k;
  MDB_val v;
  Status st;
  rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  while (rc == 0 && *deleted < max_rows) {
    const std::string_view key = from_val(k);
    if (key.size() < 8) break;  // not a snapshot key: leave the rest alone
    uint64_t ts = 0;
    for (size_t i = 0; i < 8; ++i) ts = (ts << 8) | static_cast<unsigned char>(key[i]);
    if (static_cast<int64_t>(ts) >= cutoff_ns) break;
    if (exported) {
      st = exported(static_cast<int64_t>(ts), key.substr(8), from_val(v));
      if (!st.ok()) break;
    }
    rc = mdb_cursor_del(cursor, 0);
    if (rc != 0) break;
    ++*deleted;
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);  // after a delete: the key that followed it
  }
  mdb_cursor_close(cursor);
  if (!st.ok()) return st;
  if (rc != 0 && rc != MDB_NOTFOUND) return txn.mdb_error("expire in features_snapshot", rc);
  return Status::Ok();
}

}  // namespace sh::host
