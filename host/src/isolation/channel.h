// The wire between the host and an isolated plugin's child process
// (sh-plugin-runner): one shared memory region and one socket.
//
// The region (a memfd both processes map) holds a header, a request area the
// host writes, a reply area the child writes and a small service area for
// calls the child makes back into the host while a call runs (symbol intern
// and name). The socket (SOCK_SEQPACKET) only carries one-byte signals:
//   host -> child  'R' a request is ready        child -> host  'D' the reply is ready
//   host -> child  'A' the service answer is ready  child -> host  'S' a service request
// EOF on the socket means the other side is gone. Both processes are the
// same build, so the ABI structs are copied as they are; pointers inside
// them are never trusted across: each side rebuilds its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sh::host::isolation {

constexpr uint32_t kChannelMagic = 0x53484950;  // "SHIP"
constexpr size_t kShmBytes = size_t(64) << 20;  // virtual; pages are touched as used
constexpr size_t kHeaderBytes = 4096;
constexpr size_t kServiceBytes = size_t(64) << 10;
constexpr size_t kRequestOffset = kHeaderBytes;
constexpr size_t kReplyOffset = size_t(32) << 20;
constexpr size_t kRequestBytes = kReplyOffset - kRequestOffset;
constexpr size_t kServiceOffset = kShmBytes - kServiceBytes;
constexpr size_t kReplyBytes = kServiceOffset - kReplyOffset;

constexpr char kSignalRequest = 'R';
constexpr char kSignalDone = 'D';
constexpr char kSignalService = 'S';
constexpr char kSignalAnswer = 'A';

enum class Op : uint32_t {
  kCreate = 1,
  kDestroy = 2,
  kSetConfig = 3,
  kSaveState = 4,
  kLoadState = 5,
  kDetect = 6,
  kExpert = 7,
  kRisk = 8,
  kPoll = 9,
};

enum class ServiceOp : uint32_t { kIntern = 1, kName = 2 };

struct ChannelHeader {
  uint32_t magic;
  uint32_t op;            // Op
  int64_t now_ns;         // the host clock for the whole call
  uint64_t request_bytes;  // used bytes of the request area
  uint64_t reply_bytes;    // used bytes of the reply area
};

// At kServiceOffset; the name (or, in the answer, the symbol's name) follows.
struct ServiceHeader {
  uint32_t op;     // ServiceOp
  uint32_t id;     // kName: the id asked for; kIntern answer: the id
  uint32_t bytes;  // length of the text that follows (no NUL counted)
  uint32_t found;  // answer: 1 when the name exists
};

// Appends 8-byte aligned items to an area; overflowing makes ok() false.
class Writer {
 public:
  Writer(uint8_t* base, size_t capacity) : base_(base), cap_(capacity) {}
  bool ok() const { return ok_; }
  size_t size() const { return pos_; }
  uint8_t* base() const { return base_; }
  // Offset of the copied bytes in the area, or 0 with ok() false.
  size_t put(const void* data, size_t n) {
    const size_t at = (pos_ + 7) & ~size_t(7);
    if (!ok_ || at > cap_ || n > cap_ - at) {
      ok_ = false;
      return 0;
    }
    if (n > 0) std::memcpy(base_ + at, data, n);
    pos_ = at + n;
    return at;
  }
  template <typename T>
  size_t put_value(const T& v) {
    return put(&v, sizeof(T));
  }
  // u64 length, the bytes, a NUL.
  void put_string(std::string_view s) {
    put_value<uint64_t>(s.size());
    const size_t at = put(s.data(), s.size() + 1);
    if (ok_) base_[at + s.size()] = 0;
  }

 private:
  uint8_t* base_;
  size_t cap_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Reads what a Writer wrote, checking every length against the area.
class Reader {
 public:
  Reader(uint8_t* base, size_t size) : base_(base), size_(size) {}
  bool ok() const { return ok_; }
  // Pointer to n bytes inside the area (8-byte aligned), or nullptr with ok() false.
  uint8_t* get(size_t n) {
    const size_t at = (pos_ + 7) & ~size_t(7);
    if (!ok_ || at > size_ || n > size_ - at) {
      ok_ = false;
      return nullptr;
    }
    pos_ = at + n;
    return base_ + at;
  }
  template <typename T>
  bool get_value(T* out) {
    const uint8_t* p = get(sizeof(T));
    if (p == nullptr) return false;
    std::memcpy(out, p, sizeof(T));
    return true;
  }
  // A NUL-terminated string inside the area, or nullptr with ok() false.
  const char* get_string(size_t* length = nullptr) {
    uint64_t n = 0;
    if (!get_value(&n) || n >= size_) {
      ok_ = false;
      return nullptr;
    }
    uint8_t* p = get(static_cast<size_t>(n) + 1);
    if (p == nullptr) return nullptr;
    p[n] = 0;  // the writer put it there; make sure of it
    if (length) *length = static_cast<size_t>(n);
    return reinterpret_cast<const char*>(p);
  }

 private:
  uint8_t* base_;
  size_t size_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace sh::host::isolation
