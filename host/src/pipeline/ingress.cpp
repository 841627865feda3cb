#include "pipeline/ingress.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sh::host {

Ingress::Ingress(std::vector<PluginInstance*> providers, ComponentRegistry& registry,
                 bool receive_clock)
    : providers_(std::move(providers)),
      provider_done_(providers_.size(), false),
      provider_clock_(providers_.size(), -1),
      provider_events_(providers_.size(), 0),
      provider_failed_(providers_.size(), false),
      merger_(providers_.size()),
      receive_clock_(receive_clock) {
  for (size_t i = 0; i < providers_.size(); ++i) {
    provider_ctx_.push_back({this, i});
    SwapSlot slot;
    slot.component = providers_[i]->component();
    slot.provider = true;
    slot.instance = providers_[i];
    slot.kind = SH_KIND_PROVIDER;
    slot.library = providers_[i]->shared_library();
    slot.rebind = [this, i](PluginInstance& now) { providers_[i] = &now; };
    registry.add(std::move(slot));
  }
}

bool Ingress::all_done() const {
  return std::all_of(provider_done_.begin(), provider_done_.end(), [](bool d) { return d; });
}

std::vector<ProviderStatus> Ingress::describe() const {
  std::vector<ProviderStatus> out(providers_.size());
  for (size_t i = 0; i < providers_.size(); ++i) {
    ProviderStatus& p = out[i];
    p.name = providers_[i]->component();
    p.events = provider_events_[i];
    p.clock_ns = std::max<int64_t>(provider_clock_[i], 0);
    p.connected = p.events > 0 || p.clock_ns > 0;
    p.finished = provider_done_[i];
    p.failed = provider_failed_[i];
  }
  return out;
}

sh_status Ingress::emit_events(void* ctx, const sh_market_event* events, uint32_t count,
                               uint32_t item_size) {
  auto* pc = static_cast<ProviderCtx*>(ctx);
  Ingress& self = *pc->self;
  if (events == nullptr || item_size < 8 || item_size % 8 != 0) return SH_ERR_INVALID_ARGUMENT;
  self.provider_events_[pc->index] += count;
  if (self.providers_.size() > 1) {
    self.merger_.push(pc->index, events, count, item_size);
    return SH_OK;
  }
  if (item_size >= sizeof(sh_market_event)) {
    if (count > 0) self.target_->deliver(events, count, item_size);
  } else {
    // An older plugin's shorter records: widen them first.
    self.normalized_.clear();
    const auto* p = reinterpret_cast<const unsigned char*>(events);
    for (uint32_t i = 0; i < count; ++i, p += item_size) {
      self.normalized_.push_back(normalize_event(reinterpret_cast<const sh_market_event*>(p), item_size));
    }
    if (count > 0) self.target_->deliver(self.normalized_.data(), count, sizeof(sh_market_event));
  }
  return SH_OK;
}

Status Ingress::poll(IngressTarget& target, uint32_t max_events, RunSummary* summary,
                     bool* progressed) {
  *progressed = false;
  target_ = &target;
  const bool merged = providers_.size() > 1;
  if (merged && !merge_order_decided_) {
    // Several live providers, every one a clock source: merge by receive
    // time, so that a quiet or disconnected one holds nothing back. Any
    // other mix keeps the event-time merge.
    merge_order_decided_ = true;
    bool sources = receive_clock_;
    for (PluginInstance* p : providers_) sources = sources && p->clock_ns() >= 0;
    if (sources) merger_.order_by_receive_time();
  }
  for (size_t i = 0; i < providers_.size(); ++i) {
    if (provider_done_[i]) continue;
    if (merged && !merger_.needs_poll(i)) continue;
    sh_event_sink sink{sizeof(sh_event_sink), &provider_ctx_[i], &Ingress::emit_events};
    const sh_status st = providers_[i]->poll(sink, max_events);
    provider_clock_[i] = providers_[i]->clock_ns();
    if (merged) merger_.set_clock(i, provider_clock_[i]);
    Status deferred = target.take_deferred_error();
    if (!deferred.ok()) return deferred;
    if (st == SH_OK) {
      *progressed = true;
    } else if (st == SH_WOULD_BLOCK) {
      // live source with nothing now
    } else {
      provider_done_[i] = true;
      *progressed = true;
      if (merged) merger_.finish(i);
      if (st != SH_END_OF_DATA) {
        provider_failed_[i] = true;
        ++summary->provider_errors;
        spdlog::error("provider '{}' failed ({}): {}; it is stopped, the run carries on",
                      providers_[i]->component(), abi_status_name(st), providers_[i]->last_error());
      }
    }
    if (!merged) {
      Status s = target.process_closed();
      if (!s.ok()) return s;
    }
  }
  if (merged) {
    merger_.release(released_);
    if (!released_.empty()) target.deliver(released_.data(), released_.size(), sizeof(sh_market_event));
    Status deferred = target.take_deferred_error();
    if (!deferred.ok()) return deferred;
  }
  // The clock only once the merger holds nothing back: a held event is
  // received but not yet delivered.
  const int64_t clock = receive_clock();
  if (clock > 0 && (!merged || merger_.drained())) target.on_clock(clock);
  return target.process_closed();
}

int64_t Ingress::receive_clock() const {
  int64_t clock = 0;
  for (size_t i = 0; i < providers_.size(); ++i) {
    if (provider_done_[i] || provider_clock_[i] < 0) continue;
    if (provider_clock_[i] == 0) return 0;  // a source that has received nothing yet
    clock = clock == 0 ? provider_clock_[i] : std::min(clock, provider_clock_[i]);
  }
  return clock;
}

void Ingress::finish(IngressTarget& target) {
  if (providers_.size() <= 1) return;
  for (size_t i = 0; i < providers_.size(); ++i) merger_.finish(i);
  merger_.release(released_);
  if (!released_.empty()) target.deliver(released_.data(), released_.size(), sizeof(sh_market_event));
}

}  // namespace sh::host
