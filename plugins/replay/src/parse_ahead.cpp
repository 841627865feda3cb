#include "parse_ahead.h"

#include <utility>

namespace replay {

namespace {
// The DeferredServices whose producer runs on this thread (one per thread).
thread_local const DeferredServices* tl_producer = nullptr;
}  // namespace

DeferredServices::DeferredServices(const sh_host_services* real) : real_(real), table_{} {
  table_.struct_size = sizeof(sh_host_services);
  table_.abi_major = real->abi_major;
  table_.abi_minor = real->abi_minor;
  table_.host_ctx = this;
  table_.log = &DeferredServices::log;
  table_.now_ns = &DeferredServices::now_ns;
  table_.intern_symbol = &DeferredServices::intern_symbol;
  table_.symbol_name = &DeferredServices::symbol_name;
  table_.counter_register = &DeferredServices::counter_register;
  table_.counter_add = &DeferredServices::counter_add;
}

void DeferredServices::enter_producer() { tl_producer = this; }
bool DeferredServices::on_producer() const { return tl_producer == this; }

void DeferredServices::log(void* ctx, sh_log_level level, const char* msg) {
  DeferredServices& s = self(ctx);
  if (s.on_producer()) {
    s.pending_.push_back(Action{kLog, 0, level, msg ? msg : ""});
  } else if (s.real_->log) {
    s.real_->log(s.real_->host_ctx, level, msg);
  }
}

void DeferredServices::counter_add(void* ctx, uint32_t id, int64_t delta) {
  DeferredServices& s = self(ctx);
  if (s.on_producer()) {
    if (!s.pending_.empty() && s.pending_.back().counter == id) {
      s.pending_.back().delta += delta;
    } else {
      s.pending_.push_back(Action{id, delta, SH_LOG_INFO, {}});
    }
  } else if (s.real_->counter_add) {
    s.real_->counter_add(s.real_->host_ctx, id, delta);
  }
}

int64_t DeferredServices::now_ns(void* ctx) {
  const sh_host_services* r = self(ctx).real_;
  return r->now_ns ? r->now_ns(r->host_ctx) : 0;
}

sh_symbol_id DeferredServices::intern_symbol(void* ctx, const char* name) {
  const sh_host_services* r = self(ctx).real_;
  return r->intern_symbol ? r->intern_symbol(r->host_ctx, name) : SH_INVALID_SYMBOL;
}

const char* DeferredServices::symbol_name(void* ctx, sh_symbol_id id) {
  const sh_host_services* r = self(ctx).real_;
  return r->symbol_name ? r->symbol_name(r->host_ctx, id) : nullptr;
}

uint32_t DeferredServices::counter_register(void* ctx, const char* name) {
  const sh_host_services* r = self(ctx).real_;
  return r->counter_register ? r->counter_register(r->host_ctx, name) : 0;
}

void DeferredServices::replay(const std::vector<Action>& actions) const {
  for (const Action& a : actions) {
    if (a.counter == kLog) {
      if (real_->log) real_->log(real_->host_ctx, a.level, a.msg.c_str());
    } else if (real_->counter_add) {
      real_->counter_add(real_->host_ctx, a.counter, a.delta);
    }
  }
}

ParseAhead::ParseAhead(std::unique_ptr<EventMerger> merger, DeferredServices& services,
                       bool threaded)
    : merger_(std::move(merger)),
      services_(services),
      events_(new sh_market_event[threaded ? size_t{kDepth} * kBatchEvents : kBatchEvents]),
      threaded_(threaded) {}

ParseAhead::~ParseAhead() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  free_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ParseAhead::produce() {
  services_.enter_producer();
  try {
    for (;;) {
      uint64_t slot;
      {
        std::unique_lock<std::mutex> lock(mu_);
        free_cv_.wait(lock, [&] { return stop_ || filled_ - consumed_ < kDepth; });
        if (stop_) return;
        slot = filled_ % kDepth;
      }
      // Filled outside the lock: the consumer never reads an unpublished slot.
      sh_market_event* out = events_.get() + slot * kBatchEvents;
      uint32_t n = 0;
      while (n < kBatchEvents && merger_->next(out[n])) ++n;
      std::vector<DeferredServices::Action> acts = services_.take_pending();
      {
        std::lock_guard<std::mutex> lock(mu_);
        counts_[slot] = n;
        if (n > 0) {
          actions_[slot] = std::move(acts);
          ++filled_;
        } else {
          final_actions_ = std::move(acts);
        }
        if (n < kBatchEvents) done_ = true;
      }
      ready_cv_.notify_one();
      if (n < kBatchEvents) return;
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    final_actions_ = services_.take_pending();
    done_ = true;
    ready_cv_.notify_one();
  }
}

const sh_market_event* ParseAhead::take(uint32_t* count) {
  if (!threaded_) {  // on this thread: services calls go straight to the host
    uint32_t n = 0;
    while (n < kBatchEvents && merger_->next(events_[n])) ++n;
    *count = n;
    return n > 0 ? events_.get() : nullptr;
  }
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { produce(); });
  }
  std::vector<DeferredServices::Action> final_actions;
  std::exception_ptr error;
  uint64_t slot = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (holding_) {
      holding_ = false;
      ++consumed_;
      free_cv_.notify_one();
    }
    ready_cv_.wait(lock, [&] { return filled_ > consumed_ || done_; });
    if (filled_ == consumed_) {  // nothing left: the stream ended (or failed)
      final_actions.swap(final_actions_);
      error = std::exchange(error_, nullptr);
    } else {
      holding_ = true;
      slot = consumed_ % kDepth;
    }
  }
  if (!holding_) {
    services_.replay(final_actions);
    *count = 0;
    if (error) std::rethrow_exception(error);
    return nullptr;
  }
  // The slot is ours until handed back: the producer does not touch it.
  services_.replay(actions_[slot]);
  actions_[slot].clear();
  *count = counts_[slot];
  return events_.get() + slot * kBatchEvents;
}

}  // namespace replay
