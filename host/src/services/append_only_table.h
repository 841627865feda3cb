// AppendOnlyTable: storage whose elements never move once appended, so that
// readers on any thread can index it without a lock while one writer appends.
//
// Contract: append_slot()/publish() are serialized by the caller (one writer
// at a time, e.g. under the owner's mutex); at() and size() may run
// concurrently with them. Element i is visible to readers once size() > i.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>

namespace sh::host {

template <typename T, size_t kChunkSize, size_t kMaxChunks>
class AppendOnlyTable {
 public:
  static constexpr size_t kCapacity = kChunkSize * kMaxChunks;

  AppendOnlyTable() = default;
  AppendOnlyTable(const AppendOnlyTable&) = delete;
  AppendOnlyTable& operator=(const AppendOnlyTable&) = delete;
  ~AppendOnlyTable() {
    for (auto& c : chunks_) delete[] c.load(std::memory_order_relaxed);
  }

  size_t size() const { return size_.load(std::memory_order_acquire); }

  // Requires i < size().
  T& at(size_t i) const {
    return chunks_[i / kChunkSize].load(std::memory_order_acquire)[i % kChunkSize];
  }

  // The slot that publish() will make visible next (value-initialized), or
  // nullptr when the table is full. Writer only.
  T* append_slot() {
    const size_t n = size_.load(std::memory_order_relaxed);
    if (n >= kCapacity) return nullptr;
    std::atomic<T*>& chunk = chunks_[n / kChunkSize];
    T* c = chunk.load(std::memory_order_relaxed);
    if (c == nullptr) {
      c = new T[kChunkSize]();
      chunk.store(c, std::memory_order_release);
    }
    return &c[n % kChunkSize];
  }

  // Makes the slot returned by append_slot() visible to readers. Writer only.
  void publish() {
    size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

 private:
  std::array<std::atomic<T*>, kMaxChunks> chunks_{};
  std::atomic<size_t> size_{0};
};

}  // namespace sh::host
