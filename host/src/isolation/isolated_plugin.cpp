#include "isolation/isolated_plugin.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <vector>

#include "isolation/channel.h"
#include "isolation/child_process.h"

namespace sh::host {
namespace {

using namespace isolation;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Create, state and destroy may do real work (loading a model): a longer deadline.
constexpr int64_t kSlowCallTimeoutMs = 10'000;
constexpr int64_t kMaxBackoffMs = 5'000;
// Once the host is stopping, no call waits longer than this for its child.
constexpr int64_t kStoppingWaitMs = 500;

std::atomic<bool> g_host_stopping{false};

class IsolatedPlugin {
 public:
  IsolatedPlugin(const PluginLibrary& library, std::string component, IsolationOptions options,
                 const sh_host_services* host)
      : library_(library), component_(std::move(component)), options_(options), host_(host) {
    faults_counter_ = host_->counter_register(host_->host_ctx, "isolation_faults");
    restarts_counter_ = host_->counter_register(host_->host_ctx, "isolation_restarts");
  }
  ~IsolatedPlugin() { stop(true); }
  IsolatedPlugin(const IsolatedPlugin&) = delete;
  IsolatedPlugin& operator=(const IsolatedPlugin&) = delete;

  sh_status start(const char* config_json) {
    config_json_ = config_json ? config_json : "{}";
    std::string why;
    if (!spawn(&why)) {
      last_error_ = "component '" + component_ + "' (isolated): " + why;
      return SH_ERR_INTERNAL;
    }
    return create_in_child();
  }

  const char* last_error() const { return last_error_.c_str(); }
  void set_restart_config(std::string json) { config_json_ = std::move(json); }

  sh_status set_config(const char* json) {
    if (!ensure_up()) return SH_ERR_INTERNAL;
    Writer w = begin_request();
    w.put_string(json ? json : "");
    Reader r = no_reply();
    // config_json_ changes only through set_restart_config: this call may be a
    // one-shot command ({"reset": true}), not the parameters to restart with.
    return transact(Op::kSetConfig, "set_config", w, slow_timeout(), &r);
  }

  sh_status save_state(const char** data, size_t* size) {
    *data = nullptr;
    *size = 0;
    if (!ensure_up()) return SH_ERR_INTERNAL;
    Writer w = begin_request();
    Reader r = no_reply();
    const sh_status st = transact(Op::kSaveState, "save_state", w, slow_timeout(), &r);
    if (!replied_) return st;
    uint64_t n = 0;
    const uint8_t* bytes = r.get_value(&n) ? r.get(static_cast<size_t>(n)) : nullptr;
    if (!r.ok()) return malformed("save_state");
    state_out_.assign(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
    if (st == SH_OK) {
      saved_state_ = state_out_;
      have_state_ = true;
      *data = state_out_.data();
      *size = state_out_.size();
    }
    return st;
  }

  sh_status load_state(const char* data, size_t size) {
    if (!ensure_up()) return SH_ERR_INTERNAL;
    const sh_status st = load_state_in_child(data, size);
    if (st == SH_OK) {
      saved_state_.assign(data ? data : "", data ? size : 0);
      have_state_ = true;
    }
    return st;
  }

  sh_status detect(const sh_feature_batch* rows, const sh_market_context* context,
                   const sh_hit_sink* sink) {
    if (!ensure_up()) return SH_ERR_INTERNAL;
    Writer w = begin_request();
    put_rows(w, *rows, *context);
    Reader r = no_reply();
    sh_status st = transact(Op::kDetect, "detect", w, options_.call_timeout_ms, &r);
    if (!replied_) return st;
    uint32_t n = 0;
    r.get_value(&n);
    hits_.clear();
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      sh_detector_hit h{};
      uint32_t has_class = 0;
      r.get_value(&h);
      r.get_value(&has_class);
      const char* cls = r.get_string();
      h.hit_class = has_class ? cls : nullptr;
      hits_.push_back(h);
    }
    if (!r.ok()) return malformed("detect");
    if (!hits_.empty()) {
      const sh_status es = sink->emit(sink->sink_ctx, hits_.data(),
                                      static_cast<uint32_t>(hits_.size()), sizeof(sh_detector_hit));
      if (es != SH_OK && st == SH_OK) {
        last_error_ = "the host refused the hits (" + std::to_string(es) + ")";
        st = es;
      }
    }
    return st;
  }

  sh_status evaluate_expert(const sh_feature_batch* rows, const sh_market_context* context,
                            sh_evidence_batch* out) {
    if (!ensure_up()) return SH_ERR_INTERNAL;
    Writer w = begin_request();
    put_rows(w, *rows, *context);
    w.put_value(*out);
    const size_t bytes = size_t(out->count) * out->item_size;
    const size_t items_at = w.put(out->items, bytes);
    Reader r = no_reply();
    const sh_status st = transact(Op::kExpert, "evaluate", w, options_.call_timeout_ms, &r);
    if (!replied_) return st;
    std::memcpy(out->items, shm_ + kRequestOffset + items_at, bytes);
    return st;
  }

  sh_status evaluate_risk(const sh_order_intent_batch* intents, const sh_portfolio_state* portfolio,
                          sh_risk_verdict_batch* out) {
    if (!ensure_up()) return SH_ERR_INTERNAL;
    Writer w = begin_request();
    w.put_value(*intents);
    w.put(intents->items, size_t(intents->count) * intents->item_size);
    w.put_value(*portfolio);
    w.put(portfolio->positions, size_t(portfolio->position_count) * portfolio->position_size);
    w.put_value(*out);
    const size_t bytes = size_t(out->count) * out->item_size;
    const size_t items_at = w.put(out->items, bytes);
    Reader r = no_reply();
    const sh_status st = transact(Op::kRisk, "evaluate", w, options_.call_timeout_ms, &r);
    if (!replied_) return st;
    std::memcpy(out->items, shm_ + kRequestOffset + items_at, bytes);
    // Pointers from the child mean nothing here: detail_ext is rebuilt from the reply.
    const bool has_ext =
        out->item_size >= offsetof(sh_risk_verdict, detail_ext) + sizeof(const char*);
    auto verdict = [&](uint32_t i) {
      return reinterpret_cast<sh_risk_verdict*>(reinterpret_cast<uint8_t*>(out->items) +
                                                size_t(i) * out->item_size);
    };
    if (has_ext) {
      for (uint32_t i = 0; i < out->count; ++i) verdict(i)->detail_ext = nullptr;
    }
    uint32_t n = 0;
    r.get_value(&n);
    for (uint32_t k = 0; k < n && r.ok(); ++k) {
      uint32_t i = 0;
      r.get_value(&i);
      const char* text = r.get_string();
      if (r.ok() && has_ext && i < out->count) verdict(i)->detail_ext = text;
    }
    if (!r.ok()) return malformed("evaluate");
    return st;
  }

  sh_status poll(const sh_event_sink* sink, uint32_t max_events) {
    if (!ensure_up()) return SH_ERR_INTERNAL;
    Writer w = begin_request();
    w.put_value(max_events);
    Reader r = no_reply();
    sh_status st = transact(Op::kPoll, "poll", w, options_.call_timeout_ms, &r);
    if (!replied_) return st;
    uint32_t n = 0;
    r.get_value(&n);
    const uint8_t* events = r.get(size_t(n) * sizeof(sh_market_event));
    if (!r.ok()) return malformed("poll");
    if (n > 0) {
      const sh_status es = sink->emit(sink->sink_ctx, reinterpret_cast<const sh_market_event*>(events),
                                      n, sizeof(sh_market_event));
      if (es != SH_OK && (st == SH_OK || st == SH_WOULD_BLOCK || st == SH_END_OF_DATA)) {
        last_error_ = "the host refused the events (" + std::to_string(es) + ")";
        st = es;
      }
    }
    return st;
  }

 private:
  int64_t slow_timeout() const { return std::max(options_.call_timeout_ms, kSlowCallTimeoutMs); }
  Reader no_reply() { return Reader(nullptr, 0); }

  std::string who() const {
    return "component '" + component_ + "' (isolated, pid " + std::to_string(shown_pid_) + ")";
  }

  // ------------------------------------------------------------ process

  bool spawn(std::string* why) {
    const std::string runner = plugin_runner_path();
    if (::access(runner.c_str(), X_OK) != 0) {
      *why = "cannot start " + runner + ": " + std::strerror(errno);
      return false;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      *why = std::string("socketpair: ") + std::strerror(errno);
      return false;
    }
    const std::string memfd_name = "sh-plugin-" + component_;
    const int shm_fd = static_cast<int>(::syscall(SYS_memfd_create, memfd_name.c_str(), MFD_CLOEXEC));
    void* m = MAP_FAILED;
    if (shm_fd >= 0 && ::ftruncate(shm_fd, static_cast<off_t>(kShmBytes)) == 0) {
      m = ::mmap(nullptr, kShmBytes, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    }
    if (m == MAP_FAILED) {
      *why = std::string("shared memory: ") + std::strerror(errno);
      if (shm_fd >= 0) ::close(shm_fd);
      ::close(sv[0]);
      ::close(sv[1]);
      return false;
    }
    shm_ = static_cast<uint8_t*>(m);
    header().magic = kChannelMagic;

    const pid_t pid = spawn_child({runner, "--channel-fd", "3", "--shm-fd", "4", "--plugin",
                                   library_.path().string(), "--component", component_},
                                  {{sv[1], 3}, {shm_fd, 4}}, why);
    ::close(sv[1]);
    ::close(shm_fd);
    if (pid < 0) {
      ::close(sv[0]);
      unmap();
      return false;
    }
    pid_ = pid;
    shown_pid_ = pid;
    sock_ = sv[0];
    symbols_sent_ = 0;
    counter_map_.clear();
    down_ = false;
    return true;
  }

  void unmap() {
    if (shm_ != nullptr) ::munmap(shm_, kShmBytes);
    shm_ = nullptr;
  }

  // Reaps the child (killing it after grace_ms); pid_ is -1 afterwards
  // (never signal a reaped pid). Returns its wait status.
  int reap(int64_t grace_ms) {
    const int status = reap_child(pid_, grace_ms);
    pid_ = -1;
    return status;
  }

  void kill_child() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    reap(0);
  }

  void close_channel() {
    if (sock_ >= 0) ::close(sock_);
    sock_ = -1;
    unmap();
  }

  // Ends the child: a destroy request first when graceful and it is alive.
  void stop(bool graceful) {
    stopping_ = true;
    if (pid_ <= 0) {
      close_channel();
      return;
    }
    if (graceful && !down_ && created_) {
      Writer w = begin_request();
      Reader r = no_reply();
      transact(Op::kDestroy, "destroy", w, 1000, &r);
    }
    close_channel();
    reap(1000);
  }

  // The child is gone or unusable (reaped by now): one line, one count, and
  // a restart plan.
  sh_status fault(const std::string& what) {
    kill_child();
    close_channel();
    last_error_ = who() + " " + what;
    const bool serving = created_ || ever_created_;
    down_ = true;
    created_ = false;
    host_->counter_add(host_->host_ctx, faults_counter_, 1);
    if (!serving || stopping_) {
      // Start-up (the caller reports the create error) or shutdown: no restart.
      if (stopping_) spdlog::error("{}", last_error_);
      next_restart_ = Clock::now() + std::chrono::milliseconds(kMaxBackoffMs);
      return SH_ERR_INTERNAL;
    }
    const auto now = Clock::now();
    if (options_.restart && restarts_ < options_.max_restarts) {
      const int64_t backoff_ms =
          restarts_ == 0 ? 0 : std::min<int64_t>(kMaxBackoffMs, int64_t(100) << std::min(restarts_ - 1, 16u));
      next_restart_ = now + std::chrono::milliseconds(backoff_ms);
      spdlog::error("{}; restarting it (restart {} of {}, in {} ms)", last_error_, restarts_ + 1,
                    options_.max_restarts, backoff_ms);
    } else {
      spdlog::error("{}; {}: its calls fail until the host restarts", last_error_,
                    options_.restart ? "no restarts left" : "restart: false");
    }
    return SH_ERR_INTERNAL;
  }

  sh_status died(const char* what) {
    return fault(describe_exit(reap(500)) + " during " + what + "()");
  }

  sh_status malformed(const char* what) {
    return fault(std::string("sent a malformed reply to ") + what + "(); killed");
  }

  // A live child with an instance, restarting a faulted one when allowed.
  bool ensure_up() {
    if (!down_) return true;
    if (!options_.restart || restarts_ >= options_.max_restarts || Clock::now() < next_restart_) {
      return false;  // last_error_ still names the fault
    }
    ++restarts_;
    host_->counter_add(host_->host_ctx, restarts_counter_, 1);
    std::string why;
    if (!spawn(&why)) {
      last_error_ = "component '" + component_ + "' (isolated): restart failed: " + why;
      spdlog::error("{}", last_error_);
      next_restart_ = Clock::now() + std::chrono::milliseconds(kMaxBackoffMs);
      return false;
    }
    sh_status st = create_in_child();
    if (st == SH_OK && have_state_) st = load_state_in_child(saved_state_.data(), saved_state_.size());
    if (st != SH_OK) {
      ever_created_ = true;  // a restart: plan the next one
      if (!down_) fault("could not be restarted: " + last_error_);
      return false;
    }
    spdlog::warn("component '{}' (isolated) restarted as pid {} (restart {} of {})", component_,
                 pid_, restarts_, options_.max_restarts);
    return true;
  }

  sh_status create_in_child() {
    Writer w = begin_request();
    w.put_string(config_json_);
    Reader r = no_reply();
    const sh_status st = transact(Op::kCreate, "create", w, slow_timeout(), &r);
    created_ = st == SH_OK;
    ever_created_ = ever_created_ || created_;
    return st;
  }

  sh_status load_state_in_child(const char* data, size_t size) {
    Writer w = begin_request();
    w.put_value<uint64_t>(data ? size : 0);
    w.put(data, data ? size : 0);
    Reader r = no_reply();
    return transact(Op::kLoadState, "load_state", w, slow_timeout(), &r);
  }

  // ------------------------------------------------------------ channel

  ChannelHeader& header() { return *reinterpret_cast<ChannelHeader*>(shm_); }

  // A request starting with the names of symbols interned since the last one.
  Writer begin_request() {
    Writer w(shm_ + kRequestOffset, kRequestBytes);
    const uint32_t first = symbols_sent_ + 1;
    const size_t count_at = [&] {
      w.put_value<uint32_t>(first);
      return w.put_value<uint32_t>(0);
    }();
    uint32_t count = 0;
    for (const char* name; (name = host_->symbol_name(host_->host_ctx, first + count)) != nullptr;) {
      w.put_string(name);
      ++count;
    }
    if (w.ok()) {
      std::memcpy(w.base() + count_at, &count, sizeof(count));
      pending_symbols_ = count;
    }
    return w;
  }

  void put_rows(Writer& w, const sh_feature_batch& rows, const sh_market_context& context) {
    sh_feature_batch b = rows;  // pointers mean nothing in the runner: sent after
    const bool has_columns = b.struct_size >= sizeof(sh_feature_batch) && b.column_count > 0 &&
                             b.column_names != nullptr && b.columns != nullptr;
    if (!has_columns) b.column_count = 0;
    b.column_names = nullptr;
    b.columns = nullptr;
    w.put_value(b);
    w.put(rows.rows, size_t(rows.count) * rows.row_size);
    if (has_columns) {  // ABI 1.6: the names ('\0'-separated), then the values
      std::string names;
      for (uint32_t j = 0; j < b.column_count; ++j) names.append(rows.column_names[j]).push_back('\0');
      w.put_value(static_cast<uint64_t>(names.size()));
      w.put(names.data(), names.size());
      w.put(rows.columns, size_t(rows.count) * b.column_count * sizeof(double));
    }
    w.put_value(context);
  }

  bool send_signal(char c) {
    for (;;) {
      const ssize_t r = ::send(sock_, &c, 1, MSG_NOSIGNAL);
      if (r == 1) return true;
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
  }

  void answer_service() {
    auto* sh = reinterpret_cast<ServiceHeader*>(shm_ + kServiceOffset);
    const size_t room = kServiceBytes - sizeof(ServiceHeader) - 1;
    char* text = reinterpret_cast<char*>(sh + 1);
    if (sh->op == static_cast<uint32_t>(ServiceOp::kIntern) && sh->bytes <= room) {
      text[sh->bytes] = 0;
      sh->id = host_->intern_symbol(host_->host_ctx, text);
      sh->found = sh->id != SH_INVALID_SYMBOL;
      sh->bytes = 0;
    } else if (sh->op == static_cast<uint32_t>(ServiceOp::kName)) {
      const char* name = host_->symbol_name(host_->host_ctx, sh->id);
      const size_t n = name ? std::min(std::strlen(name), room) : 0;
      if (name) std::memcpy(text, name, n);
      sh->bytes = static_cast<uint32_t>(n);
      sh->found = name != nullptr;
    } else {
      sh->found = 0;
      sh->bytes = 0;
    }
  }

  // Sends the request, serves service calls and waits for the reply within
  // timeout_ms. Returns the plugin's status with *reply positioned after the
  // common part (replied_ true), or faults the component (replied_ false).
  sh_status transact(Op op, const char* what, Writer& w, int64_t timeout_ms, Reader* reply) {
    replied_ = false;
    if (!w.ok()) {
      last_error_ = "component '" + component_ + "' (isolated): the " + what +
                    "() request does not fit the isolation channel's " +
                    std::to_string(kRequestBytes >> 20) + " MiB";
      return SH_ERR_INVALID_ARGUMENT;
    }
    header().op = static_cast<uint32_t>(op);
    header().now_ns = host_->now_ns(host_->host_ctx);
    header().request_bytes = w.size();
    header().reply_bytes = 0;
    if (!send_signal(kSignalRequest)) return died(what);
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    bool shortened = false;
    for (;;) {
      if (!shortened && g_host_stopping.load(std::memory_order_relaxed)) {
        // SIGTERM must end the host within 2 s: a hung child is not waited out.
        shortened = true;
        deadline = std::min(deadline, Clock::now() + std::chrono::milliseconds(kStoppingWaitMs));
        timeout_ms = std::min(timeout_ms, kStoppingWaitMs);
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return fault("did not answer " + std::string(what) + "() within " +
                     std::to_string(timeout_ms) + " ms; killed");
      }
      pollfd p{sock_, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) continue;
      char c = 0;
      const ssize_t r = ::recv(sock_, &c, 1, MSG_DONTWAIT);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) return died(what);
      if (c == kSignalService) {
        answer_service();
        if (!send_signal(kSignalAnswer)) return died(what);
        continue;
      }
      if (c == kSignalDone) break;
    }
    symbols_sent_ += pending_symbols_;
    pending_symbols_ = 0;
    *reply = Reader(shm_ + kReplyOffset,
                    static_cast<size_t>(std::min<uint64_t>(header().reply_bytes, kReplyBytes)));
    int32_t status = SH_ERR_INTERNAL;
    const char* error = nullptr;
    uint32_t n = 0;
    reply->get_value(&status);
    error = reply->get_string();
    reply->get_value(&n);
    for (uint32_t i = 0; i < n && reply->ok(); ++i) {
      int32_t level = 0;
      reply->get_value(&level);
      const char* line = reply->get_string();
      if (line) host_->log(host_->host_ctx, level, line);
    }
    reply->get_value(&n);
    for (uint32_t i = 0; i < n && reply->ok(); ++i) {
      uint32_t id = 0;
      reply->get_value(&id);
      const char* name = reply->get_string();
      if (name) counter_map_[id] = host_->counter_register(host_->host_ctx, name);
    }
    reply->get_value(&n);
    for (uint32_t i = 0; i < n && reply->ok(); ++i) {
      uint32_t id = 0;
      int64_t delta = 0;
      reply->get_value(&id);
      reply->get_value(&delta);
      auto it = counter_map_.find(id);
      if (it != counter_map_.end()) host_->counter_add(host_->host_ctx, it->second, delta);
    }
    if (!reply->ok()) return malformed(what);
    replied_ = true;
    if (status != SH_OK) last_error_ = error ? error : "";
    return status;
  }

  const PluginLibrary& library_;
  const std::string component_;
  const IsolationOptions options_;
  const sh_host_services* host_;
  uint32_t faults_counter_ = 0;
  uint32_t restarts_counter_ = 0;

  pid_t pid_ = -1;        // -1 once reaped
  pid_t shown_pid_ = -1;  // the last child's pid, for messages
  int sock_ = -1;
  uint8_t* shm_ = nullptr;
  bool down_ = false;     // the child is gone; calls fail until a restart
  bool created_ = false;  // the child holds an instance
  bool replied_ = false;  // the last transact got a well-formed reply
  bool ever_created_ = false;
  bool stopping_ = false;
  uint32_t restarts_ = 0;
  Clock::time_point next_restart_{};

  std::string config_json_;
  std::string saved_state_;  // given to a restarted child
  bool have_state_ = false;
  std::string state_out_;    // save_state's bytes, valid until the next call
  std::string last_error_;
  uint32_t symbols_sent_ = 0;     // ids 1..symbols_sent_ are known to the child
  uint32_t pending_symbols_ = 0;  // sent with the request in flight
  std::unordered_map<uint32_t, uint32_t> counter_map_;  // child's counter id -> host's
  std::vector<sh_detector_hit> hits_;
};

IsolatedPlugin& self(void* instance) { return *static_cast<IsolatedPlugin*>(instance); }

// The proxy's descriptor functions: C entry points, nothing may throw out.
template <typename F>
sh_status guarded(F&& f) {
  try {
    return f();
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

void proxy_destroy(void* instance) {
  try {
    delete static_cast<IsolatedPlugin*>(instance);
  } catch (...) {
  }
}
const char* proxy_last_error(void* instance) { return self(instance).last_error(); }
sh_status proxy_set_config(void* instance, const char* json) {
  return guarded([&] { return self(instance).set_config(json); });
}
sh_status proxy_save_state(void* instance, const char** data, size_t* size) {
  return guarded([&] { return self(instance).save_state(data, size); });
}
sh_status proxy_load_state(void* instance, const char* data, size_t size) {
  return guarded([&] { return self(instance).load_state(data, size); });
}
sh_status proxy_poll(void* instance, const sh_event_sink* sink, uint32_t max_events) {
  return guarded([&] { return self(instance).poll(sink, max_events); });
}
sh_status proxy_detect(void* instance, const sh_feature_batch* rows,
                       const sh_market_context* context, const sh_hit_sink* sink) {
  return guarded([&] { return self(instance).detect(rows, context, sink); });
}
sh_status proxy_expert(void* instance, const sh_feature_batch* rows,
                       const sh_market_context* context, sh_evidence_batch* out) {
  return guarded([&] { return self(instance).evaluate_expert(rows, context, out); });
}
sh_status proxy_risk(void* instance, const sh_order_intent_batch* intents,
                     const sh_portfolio_state* portfolio, sh_risk_verdict_batch* out) {
  return guarded([&] { return self(instance).evaluate_risk(intents, portfolio, out); });
}

// clock_ns is not proxied: an isolated provider is not a clock source; nor
// are the 1.5 capabilities, entitlement and daily history (an isolated
// provider declares none: it serves live data only).
const sh_provider_api kProviderApi{sizeof(sh_provider_api), &proxy_poll, nullptr, nullptr, nullptr, nullptr};
const sh_detector_api kDetectorApi{sizeof(sh_detector_api), &proxy_detect};
const sh_expert_api kExpertApi{sizeof(sh_expert_api), &proxy_expert};
const sh_risk_api kRiskApi{sizeof(sh_risk_api), &proxy_risk};

}  // namespace

void note_host_stopping() noexcept { g_host_stopping.store(true, std::memory_order_relaxed); }

std::string plugin_runner_path() {
  if (const char* env = std::getenv("SH_PLUGIN_RUNNER"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "sh-plugin-runner";
  const fs::path here = exe.parent_path() / "sh-plugin-runner";
  if (fs::exists(here, ec)) return here.string();
  return (exe.parent_path() / ".." / "bin" / "sh-plugin-runner").lexically_normal().string();
}

void set_isolated_restart_config(void* instance, const std::string& config_json) {
  if (instance != nullptr) self(instance).set_restart_config(config_json);
}

sh_plugin_descriptor make_isolated_descriptor(const PluginLibrary& library) {
  sh_plugin_descriptor d = library.descriptor();
  d.create = nullptr;
  d.destroy = &proxy_destroy;
  d.last_error = &proxy_last_error;
  if (d.set_config) d.set_config = &proxy_set_config;
  if (d.save_state) d.save_state = &proxy_save_state;
  if (d.load_state) d.load_state = &proxy_load_state;
  d.provider = d.provider ? &kProviderApi : nullptr;
  d.detector = d.detector ? &kDetectorApi : nullptr;
  d.expert = d.expert ? &kExpertApi : nullptr;
  d.risk = d.risk ? &kRiskApi : nullptr;
  return d;
}

void* create_isolated_instance(const PluginLibrary& library, const std::string& component,
                               const IsolationOptions& options, const sh_host_services* host,
                               const char* config_json, sh_status* rc) {
  auto* proxy = new IsolatedPlugin(library, component, options, host);
  *rc = proxy->start(config_json);
  return proxy;
}

}  // namespace sh::host
