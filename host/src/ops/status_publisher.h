// StatusPublisher: assembles the status snapshot on the pipeline thread and
// publishes it on the StatusBoard the HTTP server reads. The loop's part
// (counters, components, latency histograms) is filled here; each stage
// adds its own through Stage::describe(). Owned by the Pipeline when the
// host serves its status (host.http); absent otherwise, costing nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "ops/status_snapshot.h"
#include "pipeline/stage.h"

namespace sh::host {

class StatusPublisher {
 public:
  // board outlives the publisher.
  StatusPublisher(StatusBoard& board, int64_t started_wall_ns)
      : board_(board), started_wall_ns_(started_wall_ns) {}

  // Pipeline thread. `providers` is the ingress's part, already filled.
  void publish(const StageContext& ctx, const std::vector<std::unique_ptr<Stage>>& stages,
               std::vector<ProviderStatus> providers);

  static constexpr size_t kSeriesPoints = 720;

 private:
  struct SeriesPoint {
    int64_t minute_ts_ns;
    double equity_usd;
    double close_ms;
  };
  void add_latency(const LatencySamples& samples);
  void add_series_point(StatusSnapshot& s);

  StatusBoard& board_;
  int64_t started_wall_ns_;
  LatencyHistogram close_;
  LatencyHistogram decision_;
  size_t close_seen_ = 0;     // samples already in close_
  size_t decision_seen_ = 0;  // samples already in decision_
  int64_t slowest_close_ns_ = 0;  // since the last series point
  std::deque<SeriesPoint> series_;
};

}  // namespace sh::host
