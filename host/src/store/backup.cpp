#include "store/backup.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <strategy_host/abi.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "store/state_store.h"
#include "store/time_format.h"

namespace sh::host {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kManifest = "manifest.json";
constexpr const char* kVerified = "VERIFIED";

std::string hex(const unsigned char* d, unsigned n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[d[i] >> 4];
    s += kHex[d[i] & 0xf];
  }
  return s;
}

// Streams `src` through SHA-256, into `dst` too unless it is empty (written
// to dst + ".tmp", fsynced, then renamed). Files of any size, 1 MiB at a time.
Status stream_file(const fs::path& src, const fs::path& dst, uint64_t* size, std::string* sha) {
  const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::IoError(src.string() + ": cannot read: " + std::strerror(errno));
  int out = -1;
  const fs::path tmp = dst.string() + ".tmp";
  if (!dst.empty()) {
    std::error_code ec;
    fs::create_directories(dst.parent_path(), ec);
    out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
      const int err = errno;
      ::close(in);
      return Status::IoError(tmp.string() + ": cannot write: " + std::strerror(err));
    }
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  Status st;
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status::IoError(src.string() + ": read: " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
    for (ssize_t off = 0; out >= 0 && off < n;) {
      const ssize_t w = ::write(out, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        st = Status::IoError(tmp.string() + ": write: " + std::strerror(errno));
        break;
      }
      off += w;
    }
    if (!st.ok()) break;
  }
  ::close(in);
  if (out >= 0) {
    if (st.ok() && ::fsync(out) != 0) st = Status::IoError(tmp.string() + ": fsync: " + std::strerror(errno));
    ::close(out);
    if (st.ok() && ::rename(tmp.c_str(), dst.c_str()) != 0) {
      st = Status::IoError(dst.string() + ": rename: " + std::strerror(errno));
    }
    if (!st.ok()) ::unlink(tmp.c_str());
  }
  if (!st.ok()) return st;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  *size = total;
  *sha = hex(md, len);
  return Status::Ok();
}

Status write_text(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IoError(tmp.string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError(path.string() + ": rename: " + ec.message());
  return Status::Ok();
}

Status read_text(const fs::path& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path.string() + ": cannot read");
  text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return Status::Ok();
}

std::string compact_time(int64_t ns) {
  // 2024-01-02T03:04:05Z -> 20240102T030405Z
  std::string iso = format_iso8601_utc(ns / 1000000000 * 1000000000);
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

// Copies the LMDB environment in `src_dir` (if it holds one) to
// <backup>/<rel>/data.mdb.
Status copy_store(const fs::path& src_dir, const fs::path& backup, const std::string& rel,
                  BackupManifest* m, bool record_position) {
  std::error_code ec;
  if (!fs::exists(src_dir / "data.mdb", ec)) {
    // Stage 1 of runbook 001 (history only, no session run yet) is data too.
    if (record_position && !fs::exists(src_dir / "history" / "data.mdb", ec)) {
      return Status::NotFound("state dir " + src_dir.string() + " holds no store to back up");
    }
    return Status::Ok();
  }
  StateStoreOptions so;
  so.dir = src_dir.string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  if (!st.ok()) return st;
  const fs::path dst = backup / rel;
  fs::create_directories(dst, ec);
  if (ec) return Status::IoError(dst.string() + ": " + ec.message());
  st = store->copy_to(dst.string(), /*compact=*/true);
  store.reset();
  if (!st.ok()) return st;
  if (record_position) {
    // Read from the copy: the source moves on while the host runs.
    so.dir = dst.string();
    st = StateStore::open(so, &store);
    if (!st.ok()) return Status::IoError("the store copy does not open: " + st.message());
    int64_t minute = -1;
    if (store->last_minute_ts_ns(&minute).ok()) m->last_minute_ts_ns = minute;
    store->last_seq(&m->last_seq);
    store.reset();
    fs::remove(dst / "lock.mdb", ec);
  }
  BackupFile f;
  f.path = rel + "/data.mdb";
  return stream_file(dst / "data.mdb", fs::path(), &f.size, &f.sha256).ok()
             ? (m->files.push_back(f), Status::Ok())
             : Status::IoError(dst.string() + "/data.mdb: cannot hash the copy");
}

Status add_file(const fs::path& src, const fs::path& backup, const std::string& rel, BackupManifest* m) {
  BackupFile f;
  f.path = rel;
  f.origin = fs::absolute(src).lexically_normal().string();
  Status st = stream_file(src, backup / rel, &f.size, &f.sha256);
  if (!st.ok()) return st;
  m->files.push_back(std::move(f));
  return Status::Ok();
}

// The output feeds: every regular file directly in output_dir.
Status add_feeds(const fs::path& output_dir, const fs::path& backup, BackupManifest* m) {
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return Status::Ok();
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(output_dir, ec)) {
    if (e.is_regular_file(ec)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    Status st = add_file(f, backup, "out/" + f.filename().string(), m);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

const char* backup_type_name(BackupType t) {
  switch (t) {
    case BackupType::kData: return "data";
    case BackupType::kConfig: return "config";
    case BackupType::kFull: return "full";
  }
  return "data";
}

bool parse_backup_type(const std::string& text, BackupType* out) {
  for (BackupType t : {BackupType::kData, BackupType::kConfig, BackupType::kFull}) {
    if (text == backup_type_name(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

uint64_t BackupManifest::total_bytes() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.size;
  return n;
}

std::string BackupManifest::to_json() const {
  json j;
  j["name"] = name;
  j["type"] = backup_type_name(type);
  j["created_at"] = format_iso8601_utc(created_ns);
  j["created_ns"] = created_ns;
  j["host_version"] = host_version;
  j["abi"] = abi;
  j["last_minute_ts_ns"] = last_minute_ts_ns;
  j["last_minute"] = last_minute_ts_ns >= 0 ? format_iso8601_utc(last_minute_ts_ns) : "";
  j["last_seq"] = last_seq;
  j["state_dir"] = state_dir;
  j["output_dir"] = output_dir;
  json list = json::array();
  for (const auto& f : files) {
    list.push_back({{"path", f.path}, {"origin", f.origin}, {"size", f.size}, {"sha256", f.sha256}});
  }
  j["files"] = list;
  return j.dump(2) + "\n";
}

Status BackupManifest::from_json(const std::string& text, BackupManifest* out) {
  try {
    const json j = json::parse(text);
    BackupManifest m;
    m.name = j.at("name").get<std::string>();
    if (!parse_backup_type(j.at("type").get<std::string>(), &m.type)) {
      return Status::Corruption("manifest: unknown type '" + j.at("type").get<std::string>() + "'");
    }
    m.created_ns = j.at("created_ns").get<int64_t>();
    m.host_version = j.value("host_version", "");
    m.abi = j.value("abi", "");
    m.last_minute_ts_ns = j.value("last_minute_ts_ns", int64_t{-1});
    m.last_seq = j.value("last_seq", uint64_t{0});
    m.state_dir = j.value("state_dir", "");
    m.output_dir = j.value("output_dir", "");
    for (const auto& f : j.at("files")) {
      BackupFile b;
      b.path = f.at("path").get<std::string>();
      b.origin = f.value("origin", "");
      b.size = f.at("size").get<uint64_t>();
      b.sha256 = f.at("sha256").get<std::string>();
      if (b.path.empty() || b.path.find("..") != std::string::npos || b.path[0] == '/') {
        return Status::Corruption("manifest: file path '" + b.path + "' leaves the backup");
      }
      m.files.push_back(std::move(b));
    }
    *out = std::move(m);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("manifest: ") + e.what());
  }
}

Status create_backup(const BackupSources& sources, BackupType type, const fs::path& root, int64_t now_ns,
                     BackupManifest* out) {
  BackupManifest m;
  m.type = type;
  m.created_ns = now_ns;
  m.host_version = SH_HOST_VERSION;
  m.abi = std::to_string(SH_ABI_MAJOR) + "." + std::to_string(SH_ABI_MINOR);
  m.state_dir = sources.state_dir.string();
  m.output_dir = sources.output_dir.string();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IoError("backup dir " + root.string() + ": " + ec.message());
  // Unique name: a second backup in the same second gets a suffix.
  std::string base = std::string(backup_type_name(type)) + "-" + compact_time(now_ns);
  m.name = base;
  for (int i = 2; fs::exists(root / m.name, ec); ++i) m.name = base + "-" + std::to_string(i);
  const fs::path dir = root / m.name;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(dir.string() + ": " + ec.message());

  Status st;
  const bool data = type != BackupType::kConfig;
  const bool config = type != BackupType::kData;
  if (data) {
    st = copy_store(sources.state_dir, dir, "state", &m, /*record_position=*/true);
    if (st.ok()) st = copy_store(sources.state_dir / "control", dir, "state/control", &m, false);
    // Runbook 001's daily history and symbol states (`host history`): a
    // store of its own, which a replay's reset of the minute state keeps.
    if (st.ok()) st = copy_store(sources.state_dir / "history", dir, "state/history", &m, false);
    // The feeds after the store: a line past the copied store's last minute
    // is trimmed at the restored host's start, never missing.
    if (st.ok()) st = add_feeds(sources.output_dir, dir, &m);
  }
  if (config && st.ok()) {
    std::set<std::string> names;
    for (const fs::path& f : sources.config_files) {
      std::string rel = "config/" + f.filename().string();
      for (int i = 2; !names.insert(rel).second; ++i) rel = "config/" + std::to_string(i) + "-" + f.filename().string();
      st = add_file(f, dir, rel, &m);
      if (!st.ok()) break;
    }
    for (const fs::path& f : sources.plugin_files) {
      if (!st.ok()) break;
      BackupFile probe;
      st = stream_file(f, fs::path(), &probe.size, &probe.sha256);
      if (st.ok()) st = add_file(f, dir, "plugins/" + probe.sha256 + "-" + f.filename().string(), &m);
    }
  }
  if (st.ok()) st = write_text(dir / kManifest, m.to_json());
  if (!st.ok()) {
    fs::remove_all(dir, ec);
    return Status::IoError("backup " + m.name + " not created: " + st.message());
  }
  *out = std::move(m);
  return Status::Ok();
}

Status list_backups(const fs::path& root, std::vector<BackupListing>* out, std::vector<std::string>* skipped) {
  out->clear();
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::Ok();
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (!e.is_directory(ec)) continue;
    BackupListing l;
    l.dir = e.path();
    std::string text;
    Status st = read_text(e.path() / kManifest, &text);
    if (st.ok()) st = BackupManifest::from_json(text, &l.manifest);
    if (!st.ok()) {
      if (skipped) skipped->push_back(e.path().filename().string() + ": " + st.message());
      continue;
    }
    std::string verified;
    if (read_text(e.path() / kVerified, &verified).ok()) {
      while (!verified.empty() && verified.back() == '\n') verified.pop_back();
      l.verified_at = verified;
    }
    out->push_back(std::move(l));
  }
  std::sort(out->begin(), out->end(), [](const BackupListing& a, const BackupListing& b) {
    return a.manifest.created_ns != b.manifest.created_ns ? a.manifest.created_ns < b.manifest.created_ns
                                                          : a.manifest.name < b.manifest.name;
  });
  return Status::Ok();
}

Status verify_backup(const fs::path& dir, BackupManifest* manifest) {
  std::string text;
  Status st = read_text(dir / kManifest, &text);
  if (!st.ok()) return Status::NotFound("backup " + dir.string() + ": no manifest.json (incomplete or not a backup)");
  BackupManifest m;
  st = BackupManifest::from_json(text, &m);
  if (!st.ok()) return Status::Corruption("backup " + dir.string() + ": " + st.message());
  for (const BackupFile& f : m.files) {
    uint64_t size = 0;
    std::string sha;
    st = stream_file(dir / f.path, fs::path(), &size, &sha);
    if (!st.ok()) return Status::Corruption("backup " + m.name + ": " + f.path + ": missing or unreadable");
    if (size != f.size) {
      return Status::Corruption("backup " + m.name + ": " + f.path + ": " + std::to_string(size) +
                                " bytes, the manifest says " + std::to_string(f.size));
    }
    if (sha != f.sha256) {
      return Status::Corruption("backup " + m.name + ": " + f.path + ": SHA-256 " + sha.substr(0, 16) +
                                "..., the manifest says " + f.sha256.substr(0, 16) + "...");
    }
  }
  // The store copy must open and read like a store (a copy of the copy, so
  // verifying never writes a lock file into the backup).
  std::error_code ec;
  if (fs::exists(dir / "state/data.mdb", ec)) {
    const fs::path probe = fs::temp_directory_path() /
                           ("sh-backup-verify-" + std::to_string(::getpid()) + "-" + m.name);
    fs::remove_all(probe, ec);
    fs::create_directories(probe, ec);
    fs::copy_file(dir / "state/data.mdb", probe / "data.mdb", ec);
    StateStoreOptions so;
    so.dir = probe.string();
    so.read_only = true;
    std::unique_ptr<StateStore> store;
    st = ec ? Status::IoError(ec.message()) : StateStore::open(so, &store);
    int64_t minute = -1;
    if (st.ok() && m.last_minute_ts_ns >= 0) st = store->last_minute_ts_ns(&minute);
    store.reset();
    fs::remove_all(probe, ec);
    if (!st.ok()) return Status::Corruption("backup " + m.name + ": state/data.mdb does not open: " + st.message());
    if (m.last_minute_ts_ns >= 0 && minute != m.last_minute_ts_ns) {
      return Status::Corruption("backup " + m.name + ": state/data.mdb ends at another minute than the manifest says");
    }
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  write_text(dir / kVerified,
             format_iso8601_utc(std::chrono::duration_cast<std::chrono::seconds>(now).count() * 1000000000LL) + "\n");
  if (manifest) *manifest = std::move(m);
  return Status::Ok();
}

Status restore_backup(const fs::path& dir, RestoreParts parts, const BackupSources& targets, bool dry_run,
                      RestorePlan* plan) {
  BackupManifest m;
  Status st = verify_backup(dir, &m);
  if (!st.ok()) return st;
  const bool want_data = parts != RestoreParts::kConfig;
  const bool want_config = parts != RestoreParts::kData;
  if (want_data && m.type == BackupType::kConfig && parts == RestoreParts::kData) {
    return Status::InvalidArgument("backup " + m.name + " is a config backup: it holds no data to restore");
  }
  if (want_config && m.type == BackupType::kData && parts == RestoreParts::kConfig) {
    return Status::InvalidArgument("backup " + m.name + " is a data backup: it holds no config to restore");
  }
  plan->writes.clear();
  // The store's data.mdb last: it is what makes the restored state the
  // backup's, and a store whose lock.mdb is gone recreates it.
  std::vector<std::pair<std::string, fs::path>> store_files;
  for (const BackupFile& f : m.files) {
    const std::string& p = f.path;
    if (want_data && p.rfind("state/", 0) == 0) {
      store_files.emplace_back(p, targets.state_dir / p.substr(6));
    } else if (want_data && p.rfind("out/", 0) == 0) {
      plan->writes.emplace_back(p, targets.output_dir / p.substr(4));
    } else if (want_config && (p.rfind("config/", 0) == 0 || p.rfind("plugins/", 0) == 0) && !f.origin.empty()) {
      plan->writes.emplace_back(p, fs::path(f.origin));
    }
  }
  std::sort(store_files.begin(), store_files.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });  // control first
  for (auto& s : store_files) plan->writes.push_back(std::move(s));
  if (dry_run) return Status::Ok();

  for (const auto& [rel, target] : plan->writes) {
    uint64_t size = 0;
    std::string sha;
    st = stream_file(dir / rel, target, &size, &sha);
    if (!st.ok()) return Status::IoError("restore of " + m.name + " stopped at " + rel + ": " + st.message());
    if (rel.size() > 9 && rel.compare(rel.size() - 9, 9, "/data.mdb") == 0) {
      // A lock file of the old environment describes another file.
      std::error_code ec;
      fs::remove(target.parent_path() / "lock.mdb", ec);
    }
  }
  // Feeds the backup did not have (written after it) would hold lines of
  // minutes the restored store never saw: trimmed at start, as after a crash.
  return Status::Ok();
}

Status prune_backups(const fs::path& root, BackupType type, size_t keep, std::vector<std::string>* removed) {
  std::vector<BackupListing> all;
  Status st = list_backups(root, &all, nullptr);
  if (!st.ok()) return st;
  std::vector<const BackupListing*> of_type;
  for (const auto& l : all) {
    if (l.manifest.type == type) of_type.push_back(&l);
  }
  while (of_type.size() > keep) {
    std::error_code ec;
    fs::remove_all(of_type.front()->dir, ec);
    if (ec) return Status::IoError(of_type.front()->dir.string() + ": " + ec.message());
    if (removed) removed->push_back(of_type.front()->manifest.name);
    of_type.erase(of_type.begin());
  }
  return Status::Ok();
}

}  // namespace sh::host
