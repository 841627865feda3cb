// capture_provider.cpp: the `capture` provider plugin. Replays a binary
// event capture (strategy_host/capture_format.h, written by `host capture
// convert`) from a read-only memory map: no parsing, one copy per event into
// the batch the host reads. The file is checked whole when the instance is
// created (header, sizes, symbol table, every record's symbol and type), so
// a bad file is refused before the run starts, naming the file and field.
#include <fcntl.h>
#include <strategy_host/capture_format.h>
#include <strategy_host/plugin.hpp>
#include <sys/mman.h>
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

class Mapping {
 public:
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  void map(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw sh::ConfigError("capture file " + path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw sh::ConfigError("capture file " + path + ": " + std::strerror(err));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        throw sh::ConfigError("capture file " + path + ": mmap: " + std::strerror(err));
      }
      data_ = static_cast<unsigned char*>(p);
      ::madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
  }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

class CaptureProvider final : public sh::Provider {
 public:
  static constexpr const char* kName = "capture";
  static constexpr uint32_t kAssetClasses = SH_ASSET_STOCKS | SH_ASSET_FX | SH_ASSET_CRYPTO | SH_ASSET_COMMODITIES;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Replays a binary event capture (.shcap, `host capture convert`) from a memory map";
  static constexpr const char* kConfigSchema = kSchema;

  CaptureProvider(const sh::Host& host, const nlohmann::json& config)
      : sh::Provider(host), path_(config.at("file").get<std::string>()), emitted_counter_(host.counter("events_emitted")) {
    map_.map(path_);
    check_header();
    read_symbols(host);
    check_records();
    batch_.reset(new sh_market_event[kMaxBatch]);
    std::memset(static_cast<void*>(batch_.get()), 0, sizeof(sh_market_event) * kMaxBatch);
    for (uint32_t i = 0; i < kMaxBatch; ++i) batch_[i].struct_size = sizeof(sh_market_event);
  }

  // At most min(max_events, 4096) events per call; a batch the sink refuses
  // is offered again by the next poll (nothing is lost).
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    if (max_events == 0) return SH_OK;
    if (pending_ == 0) {
      if (next_ == header_.event_count) return SH_END_OF_DATA;
      const uint64_t left = header_.event_count - next_;
      pending_ = static_cast<uint32_t>(std::min<uint64_t>({left, max_events, kMaxBatch}));
      first_ = 0;
      const sh_capture_record* r = records_ + next_;
      for (uint32_t i = 0; i < pending_; ++i, ++r) {
        sh_market_event& e = batch_[i];
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

 private:
  static constexpr uint32_t kMaxBatch = 4096;

  [[noreturn]] void fail(const std::string& what) const {
    throw sh::ConfigError("capture file " + path_ + ": " + what);
  }

  void check_header() {
    if (map_.size() < sizeof header_) fail("shorter than the 64-byte header (" + std::to_string(map_.size()) + " bytes)");
    std::memcpy(&header_, map_.data(), sizeof header_);
    if (std::memcmp(header_.magic, SH_CAPTURE_MAGIC, sizeof header_.magic) != 0) {
      fail("not a capture (magic is not \"" SH_CAPTURE_MAGIC "\")");
    }
    if (header_.version != SH_CAPTURE_VERSION) {
      fail("version " + std::to_string(header_.version) + " (this plugin reads version 1)");
    }
    if (header_.record_size != sizeof(sh_capture_record)) {
      fail("record_size " + std::to_string(header_.record_size) + " (expected 72)");
    }
    if (!header_.complete) fail("incomplete (complete: 0): its conversion did not finish; convert it again");
    if (header_.events_offset != sizeof header_) fail("events_offset " + std::to_string(header_.events_offset) + " (expected 64)");
    const uint64_t max_events = (map_.size() - sizeof header_) / sizeof(sh_capture_record);
    if (header_.event_count > max_events ||
        header_.symbols_offset != header_.events_offset + header_.event_count * sizeof(sh_capture_record)) {
      fail("event_count " + std::to_string(header_.event_count) + " does not fit the file's " +
           std::to_string(map_.size()) + " bytes (truncated?)");
    }
    records_ = reinterpret_cast<const sh_capture_record*>(map_.data() + header_.events_offset);
  }

  void read_symbols(const sh::Host& host) {
    size_t at = header_.symbols_offset;
    ids_.reserve(header_.symbol_count);
    for (uint32_t i = 0; i < header_.symbol_count; ++i) {
      uint16_t len = 0;
      if (at + sizeof len > map_.size()) fail("symbol table: entry " + std::to_string(i) + " runs past the end (truncated?)");
      std::memcpy(&len, map_.data() + at, sizeof len);
      at += sizeof len;
      if (len == 0 || at + len > map_.size()) {
        fail("symbol table: entry " + std::to_string(i) + " has length " + std::to_string(len) + " (truncated?)");
      }
      const std::string name(reinterpret_cast<const char*>(map_.data() + at), len);
      at += len;
      const sh_symbol_id id = host.intern(name);
      if (id == SH_INVALID_SYMBOL) fail("symbol table: entry " + std::to_string(i) + ": the host refuses the name");
      ids_.push_back(id);
    }
    if (at != map_.size()) fail("symbol table: " + std::to_string(map_.size() - at) + " bytes after its last entry");
  }

  // Every record's symbol and type, once, so poll() needs no checks.
  void check_records() const {
    const sh_capture_record* r = records_;
    for (uint64_t i = 0; i < header_.event_count; ++i, ++r) {
      if (r->symbol >= header_.symbol_count) {
        fail("record " + std::to_string(i) + ": symbol " + std::to_string(r->symbol) + " is outside the table of " +
             std::to_string(header_.symbol_count));
      }
      if (r->type < SH_EVENT_TRADE || r->type > SH_EVENT_BAR) {
        fail("record " + std::to_string(i) + ": type " + std::to_string(r->type) + " is not an event type");
      }
    }
  }

  std::string path_;
  uint32_t emitted_counter_;
  Mapping map_;
  sh_capture_header header_{};
  const sh_capture_record* records_ = nullptr;
  std::vector<sh_symbol_id> ids_;  // table index -> host id
  std::unique_ptr<sh_market_event[]> batch_;
  uint64_t next_ = 0;     // next record to convert
  uint32_t first_ = 0;    // batch_[first_, first_ + pending_) await the sink
  uint32_t pending_ = 0;
};

}  // namespace capture

SH_EXPORT_PLUGIN(capture::CaptureProvider)
