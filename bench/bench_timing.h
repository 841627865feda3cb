// Helpers of the parse benchmarks: the median wall time of `passes` runs of
// a pass (these machines are noisy: medians, not bests), and the decode pass
// they share.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace sh_bench {

template <typename F>
double median_seconds(int passes, F&& pass) {
  std::vector<double> t;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = std::chrono::steady_clock::now();
    pass();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t.empty() ? 0.0 : t[t.size() / 2];
}

// Runs every frame through a venue's FrameDecoder (on_frame(frame, out)),
// emptying the event buffer as a host poll would; returns the events made.
template <typename Decoder, typename Frames, typename Event>
size_t decode_all(Decoder& dec, const Frames& frames, std::vector<Event>& out) {
  size_t events = 0;
  for (const auto& f : frames) {
    dec.on_frame(f, out);
    if (out.size() > 60000) {
      events += out.size();
      out.clear();
    }
  }
  events += out.size();
  out.clear();
  return events;
}

// How many frames are text (messages) and their payload bytes.
template <typename Frames, typename Kind>
void count_frames(const Frames& frames, Kind text_kind, size_t* text, size_t* bytes) {
  *text = *bytes = 0;
  for (const auto& f : frames) {
    *text += f.kind == text_kind;
    *bytes += f.payload.size();
  }
}

}  // namespace sh_bench
