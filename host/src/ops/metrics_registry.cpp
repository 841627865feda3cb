#include "ops/metrics_registry.h"

#include <cmath>
#include <cstdio>

namespace sh::host {
namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<int64_t>(v));
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out += buf;
  }
}

// Escapes for a HELP text (\ and newline) or a label value (also ").
void append_escaped(std::string& out, std::string_view text, bool label_value) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && label_value) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string sanitize_metric_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == ':';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

bool MetricsWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  current_ = sanitize_metric_name(name);
  if (!written_.insert(current_).second) {
    current_.clear();
    return false;
  }
  out_ += "# HELP " + current_ + " ";
  append_escaped(out_, help, false);
  out_ += "\n# TYPE " + current_ + " ";
  out_ += type;
  out_ += "\n";
  return true;
}

void MetricsWriter::sample(const MetricLabels& labels, double value, std::string_view suffix) {
  if (current_.empty()) return;
  out_ += current_;
  out_ += suffix;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += sanitize_metric_name(labels[i].first);
      out_ += "=\"";
      append_escaped(out_, labels[i].second, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  append_number(out_, value);
  out_ += '\n';
}

void MetricsWriter::histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
  if (!family(name, "histogram", help)) return;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < LatencyHistogram::kBounds.size(); ++b) {
    cumulative += h.counts[b];
    char le[32];
    std::snprintf(le, sizeof le, "%g", LatencyHistogram::kBounds[b]);
    sample({{"le", le}}, static_cast<double>(cumulative), "_bucket");
  }
  sample({{"le", "+Inf"}}, static_cast<double>(h.count), "_bucket");
  sample({}, h.sum_seconds, "_sum");
  sample({}, static_cast<double>(h.count), "_count");
}

void MetricsWriter::single(std::string_view name, std::string_view type, std::string_view help,
                           double value) {
  if (family(name, type, help)) sample({}, value);
}

std::string MetricsRegistry::render(const StatusSnapshot& snapshot) const {
  MetricsWriter w;
  for (const Producer& p : producers_) p(snapshot, w);
  return w.text();
}

}  // namespace sh::host
