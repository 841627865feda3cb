#include "conveyor/zero_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <utility>

namespace sh::host {

namespace {

size_t page_size() {
  static const size_t page = [] {
    const long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<size_t>(p) : size_t{4096};
  }();
  return page;
}

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

constexpr size_t kHugePage = size_t{2} << 20;

void* map_zero(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

// `bytes` (a multiple of kHugePage) at a kHugePage-aligned address, offered
// as huge pages: maps one huge page more and unmaps the unaligned ends.
void* map_zero_huge(size_t bytes) {
  char* raw = static_cast<char*>(map_zero(bytes + kHugePage));
  const uintptr_t at = reinterpret_cast<uintptr_t>(raw);
  char* aligned = raw + (kHugePage - at % kHugePage) % kHugePage;
  const size_t head = static_cast<size_t>(aligned - raw);
  if (head > 0) ::munmap(raw, head);
  const size_t tail = kHugePage - head;
  if (tail > 0) ::munmap(aligned + bytes, tail);
#ifdef MADV_HUGEPAGE
  ::madvise(aligned, bytes, MADV_HUGEPAGE);  // advice: refused is fine
#endif
  return aligned;
}

}  // namespace

ZeroPages::ZeroPages(size_t chunk_bytes, bool huge) : huge_(huge) {
  chunk_bytes_ = round_up(chunk_bytes < 1 ? 1 : chunk_bytes, granule());
}

size_t ZeroPages::granule() const { return huge_ ? kHugePage : page_size(); }

void* ZeroPages::map(size_t bytes) {
  maps_.reserve(maps_.size() + 1);
  void* p = huge_ ? map_zero_huge(bytes) : map_zero(bytes);
  maps_.push_back(Mapping{p, bytes});
  return p;
}

ZeroPages::~ZeroPages() { release(); }

ZeroPages::ZeroPages(ZeroPages&& other) noexcept
    : maps_(std::move(other.maps_)),
      next_(other.next_),
      left_(other.left_),
      huge_(other.huge_),
      chunk_bytes_(other.chunk_bytes_) {
  other.maps_.clear();
  other.next_ = nullptr;
  other.left_ = 0;
}

ZeroPages& ZeroPages::operator=(ZeroPages&& other) noexcept {
  if (this != &other) {
    release();
    maps_ = std::move(other.maps_);
    next_ = other.next_;
    left_ = other.left_;
    huge_ = other.huge_;
    chunk_bytes_ = other.chunk_bytes_;
    other.maps_.clear();
    other.next_ = nullptr;
    other.left_ = 0;
  }
  return *this;
}

void ZeroPages::release() {
  for (const Mapping& m : maps_) ::munmap(m.at, m.bytes);
  maps_.clear();
  next_ = nullptr;
  left_ = 0;
}

void* ZeroPages::allocate(size_t bytes) {
  const size_t need = round_up(bytes < 1 ? 1 : bytes, 64);
  if (need > chunk_bytes_) {  // a mapping of its own; the current chunk stays
    return map(round_up(need, granule()));
  }
  if (need > left_) {
    next_ = static_cast<char*>(map(chunk_bytes_));
    left_ = chunk_bytes_;
  }
  void* p = next_;
  next_ += need;
  left_ -= need;
  return p;
}

size_t ZeroPages::mapped_bytes() const {
  size_t n = 0;
  for (const Mapping& m : maps_) n += m.bytes;
  return n;
}

}  // namespace sh::host
