// store/: the LMDB state (one environment, named databases, one write
// transaction per minute close), snapshot encoding and export, the Status
// error value used on hot paths, text and time formatting.
//
// StateStore: the host's persistent state, one LMDB environment in a
// directory (`state_dir`), with these named databases created at open:
//
//   features_snapshot  symbol\0minute -> feature row     (snapshot_codec.h)
//   events             big-endian u64 seq -> event JSON line (event_record.h)
//   positions, orders, config_versions, swap_journal     (owned by later code)
//   meta               small typed values (schema_version, last_seq, ...)
//
// Durability: LMDB's default sync mode. Every commit fsyncs the data and the
// meta page before returning (MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC and
// MDB_WRITEMAP are deliberately NOT used), so after a kill -9 or power loss
// at any moment the store reopens with every committed transaction and none
// of an uncommitted one. Stale reader slots left by a killed process are
// cleared at open (mdb_reader_check).
//
// Threads: one writer at a time (the pipeline thread). Read transactions are
// not bound to a thread (MDB_NOTLS) and may run concurrently with the writer,
// also from another process (e.g. `host snapshot` against a running host).
// LMDB forbids opening the same environment twice in one process; open()
// refuses that with an error instead of corrupting lock state.
#ifndef SH_HOST_STORE_STATE_STORE_H
#define SH_HOST_STORE_STATE_STORE_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <strategy_host/abi.h>

#include "events/event_record.h"
#include "store/status.h"

// LMDB types, kept out of this header's users.
struct MDB_env;
struct MDB_txn;

namespace sh::host {

class OutputDigest;
class WriteBatch;

enum class StateDb : int {
  kFeaturesSnapshot = 0,
  kEvents,
  kPositions,
  kOrders,
  kConfigVersions,
  kSwapJournal,
  kMeta,
  // Appended (runbook 001, history/history_store.h): daily history per
  // symbol and its governance (states, their history, backfill markers).
  // A read-only open of a store older than them reads them as empty.
  kPriceHistory,
  kSymbolGovernance,
};
constexpr int kStateDbCount = 9;
constexpr int kStateDbRequiredCount = 7;  // the databases every store has had
// The LMDB database name, e.g. "features_snapshot".
const char* state_db_name(StateDb db);

struct StateStoreOptions {
  std::string dir;  // created (with parents) if missing, unless read_only
  // Maximum size of the data file (config: state.map_size_mb). LMDB reserves
  // this much address space; the file grows as data is written. If an
  // existing file is larger, its size wins.
  uint64_t map_size_bytes = uint64_t{1} << 30;
  // The map grows (doubling) when a write transaction is about to start
  // with the data file over 3/4 of it, or when a minute's write finds it
  // full (the write is then retried once): a host never stops with "map
  // full" while the disk has room. 0: no limit; else the map never grows
  // past this (config: state.max_map_size_mb), and a full map is an error.
  uint64_t max_map_size_bytes = 0;
  bool read_only = false;  // open for reading only (CLI inspection)
  // true: every commit is flushed to disk (survives power loss).
  // false: MDB_NOSYNC: a commit is durable once in the OS page cache, so it
  // survives kill -9 of the host but not an OS crash; sync() flushes.
  bool sync_commits = true;
  // The feature set's signature (FeatureSet::signature()), the schema of
  // features_snapshot. A store records it (meta `feature_set`) when first
  // opened for writing and refuses to open with another one afterwards;
  // "" = not checked (inspection, backups). A store from before the key
  // existed holds the default set.
  std::string feature_set;
  std::string default_feature_set;  // the default set's signature
};

// Meta keys written by the store itself.
inline constexpr std::string_view kMetaSchemaVersion = "schema_version";
inline constexpr std::string_view kMetaLastSeq = "last_seq";
inline constexpr std::string_view kMetaLastMinuteTsNs = "last_minute_ts_ns";
inline constexpr std::string_view kMetaFeatureSet = "feature_set";
// Meta keys of the decision layer (written by the pipeline): each stateful
// plugin's durable state ("<plugin name>\n<bytes>") and the risk chain's
// consecutive erroring cycles (decimal text).
inline constexpr std::string_view kMetaComponentStatePrefix = "component_state/";
inline constexpr std::string_view kMetaChainErrors = "risk_chain_consecutive_errors";
constexpr uint64_t kStateSchemaVersion = 1;

class StateStore;

// A transaction handle: read-only (from begin_read) or read-write (from
// begin_write). Move-only; a handle that is destroyed without commit()
// aborts. Keys and values are arbitrary bytes; LMDB limits keys to 511 bytes.
class StateTxn {
 public:
  StateTxn() = default;
  ~StateTxn();
  StateTxn(StateTxn&& other) noexcept;
  StateTxn& operator=(StateTxn&& other) noexcept;
  StateTxn(const StateTxn&) = delete;
  StateTxn& operator=(const StateTxn&) = delete;

  // A staged write transaction (pipeline/minute_writer.h): put() and del()
  // are recorded into *batch (store/write_batch.h) and applied later, in
  // order, in the minute's real transaction on the writer thread; a staged
  // del() of an absent key is not an error. get(), scan() and commit() are
  // refused, id() is 0. The batch must outlive the handle.
  static StateTxn staged(WriteBatch* batch);
  bool is_staged() const { return batch_ != nullptr; }
  // Work that reads or writes inside the transaction: run now on a real
  // write transaction; on a staged one, run on the writer thread inside the
  // real transaction (so fn must own what it uses; see write_batch.h).
  Status in_txn(std::function<Status(StateTxn&)> fn);

  bool active() const { return txn_ != nullptr || batch_ != nullptr; }
  bool writable() const { return writable_; }
  // LMDB's transaction id: a read transaction's snapshot (the last commit it
  // sees), or the id a write transaction commits as. 0 when inactive.
  uint64_t id() const;

  // *value = the stored bytes; Status::NotFound if the key is absent.
  Status get(StateDb db, std::string_view key, std::string* value) const;

  // Calls fn(key, value) for every key in [begin, end) in ascending memcmp
  // order; an empty `end` means "to the last key". fn returns false to stop
  // early. The views are valid only during the call.
  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
  Status scan(StateDb db, std::string_view begin, std::string_view end, const ScanFn& fn) const;
  // scan() over every key that starts with `prefix` (non-empty, its last
  // byte < 0xff, as the "command/" style prefixes of the meta DB are).
  Status scan_prefix(StateDb db, std::string_view prefix, const ScanFn& fn) const {
    std::string end(prefix);
    end.back() = static_cast<char>(end.back() + 1);
    return scan(db, prefix, end, fn);
  }

  // Write transactions only. put overwrites (UPSERT); del of an absent key
  // returns Status::NotFound. After any failed put/del the transaction is
  // spoiled (LMDB rule): the caller must abort.
  Status put(StateDb db, std::string_view key, std::string_view value);
  Status del(StateDb db, std::string_view key);

  // Makes the writes durable (fsync) and ends the transaction; on error
  // nothing was written. Also ends read transactions.
  Status commit();
  // Discards the transaction. No-op on an inactive handle.
  void abort();

 private:
  friend class StateStore;
  Status mdb_error(const char* what, int rc) const;

  const StateStore* store_ = nullptr;
  MDB_txn* txn_ = nullptr;
  WriteBatch* batch_ = nullptr;  // staged()
  bool writable_ = false;
  // Held while the transaction is active: the map is resized only when no
  // transaction of this process is (LMDB's rule for mdb_env_set_mapsize).
  std::shared_lock<std::shared_timed_mutex> hold_;
  mutable int last_rc_ = 0;  // LMDB/errno code of the last failed call
};

// Typed access to the `meta` database: values are 8-byte big-endian.
Status meta_put_u64(StateTxn& txn, std::string_view key, uint64_t value);
// Status::NotFound if absent; Status::Corruption if not 8 bytes.
Status meta_get_u64(const StateTxn& txn, std::string_view key, uint64_t* value);

// A feature row keyed by its symbol's name.
struct SnapshotRow {
  std::string symbol;
  sh_feature_row row;  // row.minute_ts_ns (>= 0) is the key's minute
};

// Everything persisted at one minute close, written in one transaction.
struct MinuteWrite {
  int64_t minute_ts_ns = 0;          // the closing minute (names it in errors)
  std::vector<SnapshotRow> rows;     // UPSERT into features_snapshot
  std::vector<EventRecord> events;   // published this minute, into `events`
  // Feature columns without a row field (FeatureSet::extra_columns()), row
  // i's at extra[i * extra_count ...], appended to its stored value.
  uint32_t extra_count = 0;
  std::vector<double> extra;
};

class StateStore {
 public:
  // Opens (creating if needed) the environment and its databases. On
  // success *store owns it; on failure *store is untouched and the message
  // names the directory and the reason.
  static Status open(const StateStoreOptions& options, std::unique_ptr<StateStore>* store);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& dir() const { return dir_; }
  uint64_t map_size_bytes() const;
  // Bytes of the map in use (the highest page written, as LMDB reports it).
  uint64_t map_used_bytes() const;
  // Times the map grew in this process.
  uint64_t map_growths() const { return map_growths_; }
  // Expiry (state.retention_days): deletes features_snapshot rows of
  // minutes before `cutoff_ns`, oldest first (keys are minute-major), at
  // most `max_rows` of them, in `txn`; `exported(key_minute_ns, symbol,
  // value)` sees each row before it goes (null: dropped). *deleted counts.
  using ExpireFn = std::function<Status(int64_t minute_ts_ns, std::string_view symbol,
                                        std::string_view value)>;
  Status expire_snapshots(StateTxn& txn, int64_t cutoff_ns, size_t max_rows, const ExpireFn& exported,
                          size_t* deleted) const;

  // Any transaction *txn still holds is aborted first.
  Status begin_read(StateTxn* txn) const;
  // The id of the last committed write transaction of any process (LMDB's
  // me_last_txnid, read without a transaction); 0 if it cannot be read.
  // Equal to an id seen earlier: nothing has been written since.
  uint64_t last_txn_id() const;
  // One write transaction at a time; a second begin_write blocks until the
  // first ends (LMDB writer lock), so never nest them on one thread.
  Status begin_write(StateTxn* txn);

  // Extra writes to make in the minute's transaction (positions, orders,
  // swap journal, gate state...). An error from the hook aborts everything.
  // It may run twice for one minute (the map grew after the first try
  // found it full): it must only write into the transaction.
  using TxnHook = std::function<Status(StateTxn&)>;

  // The minute close: in ONE transaction, UPSERT every row into
  // features_snapshot, put every event into `events` (key = big-endian seq,
  // value = format_event_json), raise meta.last_seq to the largest event
  // seq and meta.last_minute_ts_ns to minute_ts_ns, run `also`, commit. All-or-nothing: on any error (bad row, map full, disk
  // full, I/O) nothing of this minute is stored, earlier minutes are intact,
  // and the message says which minute failed and why, e.g.
  //   "state store /var/sh: map full writing minute 2024-01-02T00:05:00Z
  //    (the map is at state.max_map_size_mb, 4096 MB)".
  // A full map below max_map_size_bytes grows and the minute is written again.
  // After a commit the rows are fed to the output digest if one is set.
  Status write_minute(const MinuteWrite& minute, const TxnHook& also = nullptr);

  // Feeds each committed row (key and value, length-prefixed) to
  // digest->add("features_snapshot", ...). nullptr disables. Not owned.
  void set_output_digest(OutputDigest* digest) { digest_ = digest; }

  // Snapshot reads (own read transaction each).
  Status get_snapshot(std::string_view symbol, int64_t minute_ts_ns, sh_feature_row* row) const;
  // fn(row) for each stored row of `symbol` with from_ns <= minute < to_ns,
  // in time order; fn returns false to stop. row.symbol is 0.
  using SnapshotFn = std::function<bool(const sh_feature_row& row)>;
  // A row and its appended feature columns (snapshot_codec.h), in the order
  // of the non-row-field columns of feature_set().
  using SnapshotColumnsFn = std::function<bool(const sh_feature_row& row, const std::vector<double>& extra)>;
  Status scan_snapshot_columns(std::string_view symbol, int64_t from_ns, int64_t to_ns,
                               const SnapshotColumnsFn& fn) const;
  // meta.feature_set (the signature of the feature set the store was created
  // with); Status::NotFound for a store from before features: (the default set).
  Status feature_set(std::string* signature) const;
  Status scan_snapshots(std::string_view symbol, int64_t from_ns, int64_t to_ns,
                        const SnapshotFn& fn) const;

  // meta.last_seq, 0 when no event was ever stored: the event gate resumes
  // at last_seq + 1 after a restart.
  Status last_seq(uint64_t* seq) const;
  // meta.last_minute_ts_ns; Status::NotFound before the first minute.
  Status last_minute_ts_ns(int64_t* ts_ns) const;
  // Flushes committed transactions to disk (needed with sync_commits=false).
  Status sync();
  // A consistent copy of the environment as of one read transaction, into
  // the existing empty directory `dir` (LMDB's hot copy: safe while another
  // process writes; `compact` leaves out free pages).
  Status copy_to(const std::string& dir, bool compact) const;

 private:
  friend class StateTxn;
  StateStore() = default;
  Status begin(StateTxn* txn, bool write) const;
  // Grows the map when `force` or when it is over 3/4 used. wait: how long
  // to wait for this process's other transactions to end (0: only when none
  // is active now). Ok when it grew or need not; else why not.
  Status grow_map(bool force, std::chrono::milliseconds wait);
  Status write_minute_once(const MinuteWrite& minute, const TxnHook& also, bool* map_full);
  unsigned dbi(StateDb db) const { return dbis_[static_cast<int>(db)]; }

  std::string dir_;
  std::string registry_key_;  // canonical dir, for the one-open-per-process rule
  bool read_only_ = false;
  MDB_env* env_ = nullptr;
  unsigned dbis_[kStateDbCount] = {};
  OutputDigest* digest_ = nullptr;
  uint64_t max_map_size_ = 0;  // 0: no limit
  uint64_t map_growths_ = 0;
  mutable std::shared_timed_mutex resize_mu_;  // shared: an active txn; exclusive: a resize
};

}  // namespace sh::host

#endif  // SH_HOST_STORE_STATE_STORE_H
