// Ingress: the providers of one pipeline, polled in turn on the pipeline
// thread; several providers' batches go through the IngressMerger so the
// stages see one total order in event time.
#pragma once

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/component_registry.h"
#include "pipeline/ingress_merger.h"
#include "ops/status_snapshot.h"
#include "pipeline/run_summary.h"
#include "plugins/plugin_instance.h"
#include "store/status.h"

namespace sh::host {

// Where ingress delivers (the loop).
class IngressTarget {
 public:
  virtual ~IngressTarget() = default;
  // Events in ingress order (count > 0; stride >= sizeof(sh_market_event)).
  virtual void deliver(const sh_market_event* events, size_t count, size_t stride) = 0;
  // An error met while delivering (a store write at a swap barrier), once.
  virtual Status take_deferred_error() = 0;
  // Processes the minutes the delivered events closed.
  virtual Status process_closed() = 0;
  // Every event the clock-source providers received before recv_clock_ns
  // has been delivered (sh_provider_api.clock_ns).
  virtual void on_clock(int64_t recv_clock_ns) = 0;
};

class Ingress {
 public:
  // Providers are borrowed; each is registered as a swappable component.
  // receive_clock: the live modes' receive clock (conveyor.close_on):
  // several providers that are all clock sources merge by receive time
  // (ingress_merger.h).
  Ingress(std::vector<PluginInstance*> providers, ComponentRegistry& registry, bool receive_clock);
  Ingress(const Ingress&) = delete;
  Ingress& operator=(const Ingress&) = delete;

  // Polls every unfinished provider once (at most max_events each) and
  // delivers what it emitted. A provider that fails is stopped and counted
  // in summary->provider_errors; the run carries on.
  Status poll(IngressTarget& target, uint32_t max_events, RunSummary* summary, bool* progressed);
  bool all_done() const;
  // Each provider's state for the status snapshot (ops/status_snapshot.h).
  std::vector<ProviderStatus> describe() const;
  // After the last poll: releases what the merger still holds.
  void finish(IngressTarget& target);

 private:
  struct ProviderCtx {
    Ingress* self;
    size_t index;
  };
  static sh_status emit_events(void* ctx, const sh_market_event* events, uint32_t count,
                               uint32_t item_size);
  // The receive clock over the unfinished clock sources (their minimum), or
  // 0 when none is a source or one has not received anything yet.
  int64_t receive_clock() const;

  std::vector<PluginInstance*> providers_;
  std::vector<ProviderCtx> provider_ctx_;
  std::vector<bool> provider_done_;
  std::vector<int64_t> provider_clock_;  // last clock_ns() per provider (-1: not a source)
  std::vector<uint64_t> provider_events_;  // events emitted per provider
  std::vector<bool> provider_failed_;      // stopped by an error (not end of data)
  IngressMerger merger_;
  bool receive_clock_ = false;
  bool merge_order_decided_ = false;
  IngressTarget* target_ = nullptr;  // during poll()
  std::vector<sh_market_event> released_;
  std::vector<sh_market_event> normalized_;
};

}  // namespace sh::host
