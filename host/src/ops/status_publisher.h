// StatusPublisher: assembles the status snapshot on the pipeline thread and
// publishes it on the StatusBoard the HTTP server reads. The loop's part
// (counters, components, latency histograms) is filled here; each stage
// adds its own through Stage::describe(). Owned by the Pipeline when the
// host serves its status (host.http); absent otherwise, costing nothing.
#pragma once

#include <cstdint>
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

 private:
  void add_latency(const LatencySamples& samples);

  StatusBoard& board_;
  int64_t started_wall_ns_;
  LatencyHistogram close_;
  LatencyHistogram decision_;
  size_t close_seen_ = 0;     // samples already in close_
  size_t decision_seen_ = 0;  // samples already in decision_
};

}  // namespace sh::host
