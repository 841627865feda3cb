// Prometheus text exposition (format 0.0.4) of the host's metrics.
//
// MetricsWriter writes families: `# HELP`, `# TYPE`, then the samples, with
// names sanitised to [a-zA-Z_:][a-zA-Z0-9_:]* and label values escaped.
// MetricsRegistry holds the producers that write them from a status
// snapshot: the host's own (ops/metrics_host.h) and any module's that adds
// families (alerts, later) with add() before the server starts.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/status_snapshot.h"

namespace sh::host {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// `name` with every character outside [a-zA-Z0-9_:] replaced by '_' (and a
// leading digit prefixed with '_'), as a metric or label name must be.
std::string sanitize_metric_name(std::string_view name);

class MetricsWriter {
 public:
  // Starts a family: type is "counter", "gauge" or "histogram". A family
  // already written is not written again: false (its samples are skipped).
  bool family(std::string_view name, std::string_view type, std::string_view help);
  // A sample of the current family; `suffix` for histograms ("_bucket").
  void sample(const MetricLabels& labels, double value, std::string_view suffix = "");
  // A whole histogram family with one series.
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h);
  // A family of one sample.
  void single(std::string_view name, std::string_view type, std::string_view help, double value);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
  std::string current_;  // the current family's name ("" = skipped)
  std::set<std::string> written_;
};

class MetricsRegistry {
 public:
  using Producer = std::function<void(const StatusSnapshot&, MetricsWriter&)>;
  // Before the server starts; producers write in the order added.
  void add(Producer producer) { producers_.push_back(std::move(producer)); }
  std::string render(const StatusSnapshot& snapshot) const;

 private:
  std::vector<Producer> producers_;
};

}  // namespace sh::host
