// zero_pages.h: zero-filled memory handed out in pieces from large anonymous
// mappings, for state that lives as long as its owner (per-symbol tables).
//
// A page of such a mapping costs nothing until it is first written, where
// the same memory from malloc is written at once (chunk headers, value
// initialisation). For 1,000 symbols' trade-id bitmaps that was 16 MB, a
// page fault per 4 KiB, all at the first minute: on a virtual machine (about
// 15 us a fault) the pipeline stood still for tens of milliseconds while the
// replay's parse thread waited for it. Pieces are never freed one by one;
// everything goes with the arena.
//
// huge: for state that is written densely from the start (the rolling
// baselines' windows: 24 KB a symbol, touched at its first close), each
// mapping is 2 MiB-aligned and offered to the kernel as transparent huge
// pages (madvise MADV_HUGEPAGE): one fault per 2 MiB instead of 512. Where
// the kernel has huge pages off, or none are free, it is 4 KiB pages as
// before.
#pragma once

#include <cstddef>
#include <vector>

namespace sh::host {

class ZeroPages {
 public:
  // chunk_bytes: the size of each mapping (rounded up to whole pages); a
  // larger piece gets a mapping of its own.
  explicit ZeroPages(size_t chunk_bytes = size_t{4} << 20, bool huge = false);
  ~ZeroPages();
  ZeroPages(ZeroPages&& other) noexcept;
  ZeroPages& operator=(ZeroPages&& other) noexcept;
  ZeroPages(const ZeroPages&) = delete;
  ZeroPages& operator=(const ZeroPages&) = delete;

  // `bytes` zero bytes, 64-byte aligned, valid until the arena goes.
  // Throws std::bad_alloc when the system refuses the mapping.
  void* allocate(size_t bytes);
  // Bytes mapped so far (not all of them touched).
  size_t mapped_bytes() const;

 private:
  struct Mapping {
    void* at;
    size_t bytes;
  };
  void release();
  void* map(size_t bytes);
  size_t granule() const;  // what mappings are rounded to: a page, or a huge page

  std::vector<Mapping> maps_;
  char* next_ = nullptr;
  size_t left_ = 0;
  bool huge_;
  size_t chunk_bytes_;
};

}  // namespace sh::host
