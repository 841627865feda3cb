// Backups of a deployment (runbook 003, "Backup and Recovery"): create, list,
// verify, restore and retention, for `host backup`.
//
// A backup is a directory <root>/<type>-<YYYYmmddTHHMMSSZ>/ holding
//   manifest.json      name, type, created_at, host and ABI versions, the
//                      store's last committed minute and event seq, and every
//                      file with its size and SHA-256 (written last: a backup
//                      without it is incomplete and never listed as usable)
//   state/data.mdb     data, full: LMDB's hot copy with compaction, taken in
//                      one read transaction (safe while the host runs)
//   state/control/data.mdb   the control plane's nonce store, when present
//   state/history/data.mdb   runbook 001's daily history and symbol states
//                      (`host history`), when present
//   out/...            data, full: the output feeds (trades.csv, decisions,
//                      events ...) as of the copy; lines of minutes after
//                      the copied store's last minute are trimmed at the
//                      restored host's start, as after a kill -9
//   config/...         config, full: the YAML config, the Lua rules in use
//                      and history.universe (universe.json)
//   plugins/<sha256>-<file>   config, full: plugin binaries by content hash
//   VERIFIED           written by a successful verify (its time)
//
// Restore never mixes old and new: every file is written beside its target
// and renamed over it (rename(2) is atomic), data.mdb last among the store's
// files; a restore killed at any moment leaves each file either old or
// restored, and the store opens either way. A host holding the state dir
// (store/run_lock.h) makes restore refuse.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/status.h"

namespace sh::host {

enum class BackupType { kData, kConfig, kFull };
const char* backup_type_name(BackupType t);                // "data" | "config" | "full"
bool parse_backup_type(const std::string& text, BackupType* out);

struct BackupFile {
  std::string path;     // inside the backup, '/'-separated
  std::string origin;   // absolute path it was copied from ("" for the store copy)
  uint64_t size = 0;
  std::string sha256;
};

struct BackupManifest {
  std::string name;
  BackupType type = BackupType::kData;
  int64_t created_ns = 0;
  std::string host_version;
  std::string abi;
  int64_t last_minute_ts_ns = -1;  // -1: the store had no minute
  uint64_t last_seq = 0;
  std::string state_dir;   // where it was taken from
  std::string output_dir;
  std::vector<BackupFile> files;

  std::string to_json() const;
  static Status from_json(const std::string& text, BackupManifest* out);
  uint64_t total_bytes() const;
};

// What a deployment consists of (from its config).
struct BackupSources {
  std::filesystem::path state_dir;
  std::filesystem::path output_dir;
  std::vector<std::filesystem::path> config_files;  // the YAML, the Lua rules
  std::vector<std::filesystem::path> plugin_files;  // the plugin binaries in use
};

// Creates <root>/<type>-<time of now_ns> and fills it; *out is its manifest.
Status create_backup(const BackupSources& sources, BackupType type, const std::filesystem::path& root,
                     int64_t now_ns, BackupManifest* out);

struct BackupListing {
  BackupManifest manifest;
  std::filesystem::path dir;
  std::string verified_at;  // "" = never verified
};
// Every complete backup under root, oldest first; incomplete ones (no
// manifest) are named in *skipped.
Status list_backups(const std::filesystem::path& root, std::vector<BackupListing>* out,
                    std::vector<std::string>* skipped);

// Re-hashes every file and opens the store copy read-only; on success writes
// VERIFIED. The message of a failure names the file and what is wrong.
Status verify_backup(const std::filesystem::path& dir, BackupManifest* manifest);

enum class RestoreParts { kData, kConfig, kAll };
struct RestorePlan {
  std::vector<std::pair<std::string, std::filesystem::path>> writes;  // backup file -> target
};
// Verifies the backup, then (unless dry_run) writes its files back over the
// deployment's: the store (and its control store) into sources.state_dir,
// the feeds into sources.output_dir, config files and plugins to the paths
// they were taken from. *plan lists what was (or would be) written.
Status restore_backup(const std::filesystem::path& dir, RestoreParts parts, const BackupSources& targets,
                      bool dry_run, RestorePlan* plan);

// Removes the oldest complete backups of `type` beyond `keep`.
Status prune_backups(const std::filesystem::path& root, BackupType type, size_t keep,
                     std::vector<std::string>* removed);

}  // namespace sh::host
