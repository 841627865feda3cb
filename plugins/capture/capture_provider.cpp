// capture_provider.cpp: the `capture` provider plugin. Replays a binary
// event capture (strategy_host/capture_format.h, written by `host capture
// convert`): no parsing; a positioned read per batch of 4,096 records and
// one copy per event into the batch the host reads. The header, sizes and symbol table are checked
// when the instance is created, so a truncated, incomplete or foreign file
// is refused before the run starts, naming the file and field; each record's
// symbol and type are checked as it is emitted (a pre-pass over the whole
// file cost a third of the replay), and a damaged record stops the provider
// with its index after the records before it.
#include <fcntl.h>
#include <strategy_host/capture_format.h>
#include <strategy_host/plugin.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace capture {

inline constexpr const char* kSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "capture provider",
  "type": "object",
  "properties": {
    "file": {"type": "string", "format": "path", "minLength": 1,
             "description": "The capture (.shcap) to replay; relative paths resolve against the config file's directory."}
  },
  "required": ["file"],
  "additionalProperties": false
})";

// The open capture file: its size, and positioned reads.
class File {
 public:
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  void open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw sh::ConfigError("capture file " + path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw sh::ConfigError("capture file " + path + ": " + std::strerror(errno));
    size_ = static_cast<uint64_t>(st.st_size);
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  // Exactly n bytes at offset, or false (a read error or a file cut since).
  bool read_at(uint64_t offset, void* out, size_t n) const {
    auto* p = static_cast<unsigned char*>(out);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      p += got, offset += static_cast<uint64_t>(got), n -= static_cast<size_t>(got);
    }
    return true;
  }
  uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

class CaptureProvider final : public sh::Provider {
 public:
  static constexpr const char* kName = "capture";
  static constexpr uint32_t kAssetClasses = SH_ASSET_STOCKS | SH_ASSET_FX | SH_ASSET_CRYPTO | SH_ASSET_COMMODITIES;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Replays a binary event capture (.shcap, `host capture convert`) without parsing";
  static constexpr const char* kConfigSchema = kSchema;

  CaptureProvider(const sh::Host& host, const nlohmann::json& config)
      : sh::Provider(host), path_(config.at("file").get<std::string>()), emitted_counter_(host.counter("events_emitted")) {
    file_.open(path_);
    check_header();
    read_symbols(host);
    records_.resize(kMaxBatch);
    batch_.reset(new sh_market_event[kMaxBatch]);
    std::memset(static_cast<void*>(batch_.get()), 0, sizeof(sh_market_event) * kMaxBatch);
    for (uint32_t i = 0; i < kMaxBatch; ++i) batch_[i].struct_size = sizeof(sh_market_event);
  }

  // At most min(max_events, 4096) events per call; a batch the sink refuses
  // is offered again by the next poll (nothing is lost). A clock tick is a
  // call of its own that emits nothing and moves clock_ns(), so the host
  // passes the clock on exactly between the events it fell between.
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    if (max_events == 0) return SH_OK;
    if (pending_ == 0) {
      if (next_ == header_.record_count) return SH_END_OF_DATA;
      const uint64_t left = header_.record_count - next_;
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>({left, max_events, kMaxBatch}));
      // One positioned read a batch into a buffer that stays in cache
      // (measured faster here than a memory map, whose page faults and TLB
      // misses cost more than the copy: README "Binary captures").
      if (!file_.read_at(header_.events_offset + next_ * sizeof(sh_capture_record), records_.data(),
                         sizeof(sh_capture_record) * n)) {
        throw std::runtime_error("capture file " + path_ + ": cannot read records from " + std::to_string(next_) +
                                 ": " + std::strerror(errno));
      }
      const sh_capture_record* r = records_.data();
      if (r->type == SH_CAPTURE_CLOCK_TICK) {
        clock_ = r->ts_ns;
        ++next_;
        return SH_OK;
      }
      first_ = 0;
      for (pending_ = 0; pending_ < n; ++pending_, ++r) {
        if (r->type == SH_CAPTURE_CLOCK_TICK) break;  // the next call's
        if (r->symbol >= header_.symbol_count || r->type < SH_EVENT_TRADE || r->type > SH_EVENT_BAR) {
          // A damaged record: what precedes it goes out, then the provider
          // stops with the record's index (the run carries on without it).
          if (pending_ == 0) throw sh::InvalidArgument(describe_bad_record(next_, *r));
          break;
        }
        sh_market_event& e = batch_[pending_];
        e.type = r->type;
        e.symbol = ids_[r->symbol];
        e.flags = r->flags;
        e.ts_ns = r->ts_ns;
        e.recv_ts_ns = r->recv_ts_ns;
        std::memcpy(&e.data, r->data, sizeof r->data);
      }
      next_ += pending_;
    }
    const uint32_t n = std::min(pending_, max_events);
    if (sink.emit(batch_.get() + first_, n) != SH_OK) return SH_WOULD_BLOCK;
    host().add(emitted_counter_, n);
    first_ += n;
    pending_ -= n;
    return SH_OK;
  }

  // A capture of live sources replays their receive clock (the ticks read so
  // far; 0 before the first); a capture of file replays is not a clock source.
  int64_t clock_ns() override { return (header_.flags & SH_CAPTURE_CLOCK) != 0 ? clock_ : -1; }

 private:
  static constexpr uint32_t kMaxBatch = 4096;

  [[noreturn]] void fail(const std::string& what) const {
    throw sh::ConfigError("capture file " + path_ + ": " + what);
  }

  void check_header() {
    if (file_.size() < sizeof header_ || !file_.read_at(0, &header_, sizeof header_)) {
      fail("shorter than the 64-byte header (" + std::to_string(file_.size()) + " bytes)");
    }
    if (std::memcmp(header_.magic, SH_CAPTURE_MAGIC, sizeof header_.magic) != 0) {
      fail("not a capture (magic is not \"" SH_CAPTURE_MAGIC "\")");
    }
    if (header_.version != SH_CAPTURE_VERSION) {
      fail("version " + std::to_string(header_.version) + " (this plugin reads version 1)");
    }
    if (header_.record_size != sizeof(sh_capture_record)) {
      fail("record_size " + std::to_string(header_.record_size) + " (expected 72)");
    }
    if ((header_.flags & SH_CAPTURE_COMPLETE) == 0) {
      fail("incomplete (flags without COMPLETE): its conversion did not finish; convert it again");
    }
    if (header_.events_offset != sizeof header_) fail("events_offset " + std::to_string(header_.events_offset) + " (expected 64)");
    const uint64_t max_events = (file_.size() - sizeof header_) / sizeof(sh_capture_record);
    if (header_.record_count > max_events ||
        header_.symbols_offset != header_.events_offset + header_.record_count * sizeof(sh_capture_record)) {
      fail("record_count " + std::to_string(header_.record_count) + " does not fit the file's " +
           std::to_string(file_.size()) + " bytes (truncated?)");
    }
  }

  void read_symbols(const sh::Host& host) {
    const uint64_t table_bytes = file_.size() - header_.symbols_offset;
    if (table_bytes > (uint64_t{258} * header_.symbol_count)) {
      fail("symbol table: " + std::to_string(table_bytes) + " bytes for " + std::to_string(header_.symbol_count) +
           " symbols (at most 258 each)");
    }
    std::string table(table_bytes, '\0');
    if (!file_.read_at(header_.symbols_offset, table.data(), table.size())) fail("symbol table: cannot read");
    size_t at = 0;
    ids_.reserve(header_.symbol_count);
    for (uint32_t i = 0; i < header_.symbol_count; ++i) {
      uint16_t len = 0;
      if (at + sizeof len > table.size()) fail("symbol table: entry " + std::to_string(i) + " runs past the end (truncated?)");
      std::memcpy(&len, table.data() + at, sizeof len);
      at += sizeof len;
      if (len == 0 || at + len > table.size()) {
        fail("symbol table: entry " + std::to_string(i) + " has length " + std::to_string(len) + " (truncated?)");
      }
      const std::string name = table.substr(at, len);
      at += len;
      const sh_symbol_id id = host.intern(name);
      if (id == SH_INVALID_SYMBOL) fail("symbol table: entry " + std::to_string(i) + ": the host refuses the name");
      ids_.push_back(id);
    }
    if (at != table.size()) fail("symbol table: " + std::to_string(table.size() - at) + " bytes after its last entry");
  }

  std::string describe_bad_record(uint64_t index, const sh_capture_record& r) const {
    const std::string where = "capture file " + path_ + ": record " + std::to_string(index) + ": ";
    if (r.symbol >= header_.symbol_count) {
      return where + "symbol " + std::to_string(r.symbol) + " is outside the table of " +
             std::to_string(header_.symbol_count);
    }
    return where + "type " + std::to_string(r.type) + " is not an event type";
  }

  std::string path_;
  uint32_t emitted_counter_;
  File file_;
  sh_capture_header header_{};
  std::vector<sh_capture_record> records_;  // the batch read from the file
  std::vector<sh_symbol_id> ids_;  // table index -> host id
  std::unique_ptr<sh_market_event[]> batch_;
  uint64_t next_ = 0;     // next record to convert
  int64_t clock_ = 0;     // the last clock tick read
  uint32_t first_ = 0;    // batch_[first_, first_ + pending_) await the sink
  uint32_t pending_ = 0;
};

}  // namespace capture

SH_EXPORT_PLUGIN(capture::CaptureProvider)
