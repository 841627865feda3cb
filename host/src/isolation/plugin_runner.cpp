#include "isolation/plugin_runner.h"

#include <strategy_host/abi.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "isolation/channel.h"
#include "plugins/plugin_library.h"

// Request and reply layouts (after the ChannelHeader; see channel.h):
//
// request: u32 first_symbol_id, u32 symbol_count, symbol_count strings (the
//          names of ids first_symbol_id.. not sent to this child before), then
//   kCreate, kSetConfig  string config JSON
//   kLoadState           u64 size, bytes
//   kDetect              sh_feature_batch, rows, [columns], sh_market_context
//   kExpert              sh_feature_batch, rows, [columns], sh_market_context,
//                        sh_evidence_batch, items (written in place)
//                        [columns] (ABI 1.6, when column_count > 0): u64 size,
//                        the '\0'-terminated names, count * column_count doubles
//   kRisk                sh_order_intent_batch, items, sh_portfolio_state,
//                        positions, sh_risk_verdict_batch, items (in place)
//   kPoll                u32 max_events
// reply:   i32 status, string last_error ("" on SH_OK), u32 n {i32 level,
//          string line} (logs), u32 n {u32 id, string name} (counters
//          registered), u32 n {u32 id, i64 delta} (counter increments), then
//   kDetect              u32 n {sh_detector_hit, u32 has_class, string class}
//   kRisk                u32 n {u32 index, string detail_ext}
//   kSaveState           u64 size, bytes
//   kPoll                u32 n, sh_market_event[n]

namespace sh::host {
namespace {

using namespace isolation;

constexpr size_t kMaxLogLinesPerCall = 1000;

struct Runner {
  uint8_t* shm = nullptr;
  int sock = -1;
  std::string plugin_path;
  std::string component;

  std::shared_ptr<const PluginLibrary> library;
  const sh_plugin_descriptor* d = nullptr;
  void* instance = nullptr;
  sh_host_services services{};

  int64_t now_ns = 0;
  // Node-based maps: a name's c_str() stays valid for the life of the process.
  std::unordered_map<uint32_t, std::string> names;
  std::unordered_map<std::string, uint32_t> ids;

  std::vector<std::pair<int32_t, std::string>> logs;
  size_t dropped_logs = 0;
  std::unordered_map<std::string, uint32_t> counter_ids;
  std::vector<std::pair<uint32_t, std::string>> new_counters;
  std::vector<int64_t> deltas;  // index id - 1

  std::vector<sh_detector_hit> hits;
  std::vector<std::pair<bool, std::string>> hit_classes;
  std::vector<sh_market_event> events;
};

Runner g;

ChannelHeader& header() { return *reinterpret_cast<ChannelHeader*>(g.shm); }

bool send_signal(char c) {
  for (;;) {
    const ssize_t r = ::send(g.sock, &c, 1, MSG_NOSIGNAL);
    if (r == 1) return true;
    if (r < 0 && errno == EINTR) continue;
    return false;
  }
}

// Blocks for the host's next signal byte; the process ends when the host is gone.
char wait_signal() {
  for (;;) {
    char c = 0;
    const ssize_t r = ::recv(g.sock, &c, 1, 0);
    if (r == 1) return c;
    if (r < 0 && errno == EINTR) continue;
    ::_exit(0);
  }
}

// One synchronous question to the host in the middle of a call.
const ServiceHeader* ask_host(ServiceOp op, uint32_t id, std::string_view text) {
  auto* sh = reinterpret_cast<ServiceHeader*>(g.shm + kServiceOffset);
  const size_t room = kServiceBytes - sizeof(ServiceHeader) - 1;
  if (text.size() > room) return nullptr;
  sh->op = static_cast<uint32_t>(op);
  sh->id = id;
  sh->bytes = static_cast<uint32_t>(text.size());
  sh->found = 0;
  std::memcpy(sh + 1, text.data(), text.size());
  if (!send_signal(kSignalService)) ::_exit(0);
  if (wait_signal() != kSignalAnswer) return nullptr;
  if (sh->bytes > room) return nullptr;
  return sh;
}

// ---------------------------------------------------------------- services

void svc_log(void*, sh_log_level level, const char* msg) {
  try {
    if (g.logs.size() >= kMaxLogLinesPerCall) {
      ++g.dropped_logs;
      return;
    }
    g.logs.emplace_back(level, msg ? msg : "");
  } catch (...) {
  }
}

int64_t svc_now_ns(void*) { return g.now_ns; }

const char* remember(uint32_t id, std::string name) {
  auto it = g.names.emplace(id, std::move(name)).first;
  g.ids.emplace(it->second, id);
  return it->second.c_str();
}

sh_symbol_id svc_intern(void*, const char* name) {
  if (name == nullptr || *name == '\0') return SH_INVALID_SYMBOL;
  try {
    auto it = g.ids.find(name);
    if (it != g.ids.end()) return it->second;
    const ServiceHeader* a = ask_host(ServiceOp::kIntern, 0, name);
    if (a == nullptr || a->id == SH_INVALID_SYMBOL) return SH_INVALID_SYMBOL;
    remember(a->id, name);
    return a->id;
  } catch (...) {
    return SH_INVALID_SYMBOL;
  }
}

const char* svc_symbol_name(void*, sh_symbol_id id) {
  if (id == SH_INVALID_SYMBOL) return nullptr;
  try {
    auto it = g.names.find(id);
    if (it != g.names.end()) return it->second.c_str();
    const ServiceHeader* a = ask_host(ServiceOp::kName, id, {});
    if (a == nullptr || !a->found) return nullptr;
    return remember(id, std::string(reinterpret_cast<const char*>(a + 1), a->bytes));
  } catch (...) {
    return nullptr;
  }
}

uint32_t svc_counter_register(void*, const char* name) {
  if (name == nullptr || *name == '\0') return 0;
  try {
    auto it = g.counter_ids.find(name);
    if (it != g.counter_ids.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(g.deltas.size() + 1);
    g.counter_ids.emplace(name, id);
    g.deltas.push_back(0);
    g.new_counters.emplace_back(id, name);
    return id;
  } catch (...) {
    return 0;
  }
}

void svc_counter_add(void*, uint32_t id, int64_t delta) {
  if (id == 0 || id > g.deltas.size()) return;
  g.deltas[id - 1] += delta;
}

// ---------------------------------------------------------------- sinks

sh_status emit_hits(void*, const sh_detector_hit* hits, uint32_t count, uint32_t item_size) {
  if (count == 0) return SH_OK;
  if (hits == nullptr || item_size < offsetof(sh_detector_hit, symbol) + sizeof(sh_symbol_id)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  try {
    for (uint32_t i = 0; i < count; ++i) {
      const auto* src = reinterpret_cast<const uint8_t*>(hits) + size_t(i) * item_size;
      sh_detector_hit h{};
      std::memcpy(&h, src, std::min<size_t>(item_size, sizeof(h)));
      const bool has_class = item_size >= offsetof(sh_detector_hit, hit_class) + sizeof(char*) &&
                             h.hit_class != nullptr;
      g.hit_classes.emplace_back(has_class, has_class ? std::string(h.hit_class) : std::string());
      h.hit_class = nullptr;
      g.hits.push_back(h);
    }
  } catch (...) {
    return SH_ERR_HOST;
  }
  return SH_OK;
}

sh_status emit_events(void*, const sh_market_event* events, uint32_t count, uint32_t item_size) {
  if (count == 0) return SH_OK;
  if (events == nullptr || item_size == 0) return SH_ERR_INVALID_ARGUMENT;
  try {
    for (uint32_t i = 0; i < count; ++i) {
      sh_market_event e{};
      std::memcpy(&e, reinterpret_cast<const uint8_t*>(events) + size_t(i) * item_size,
                  std::min<size_t>(item_size, sizeof(e)));
      g.events.push_back(e);
    }
  } catch (...) {
    return SH_ERR_HOST;
  }
  return SH_OK;
}

// ---------------------------------------------------------------- requests

std::string instance_error(sh_status rc) {
  if (g.instance != nullptr) {
    const char* e = g.d->last_error(g.instance);
    if (e != nullptr && *e != '\0') return e;
  }
  return "status " + std::to_string(rc);
}

// Runs one request; fills status/error and the op's output, which write_reply sends.
struct Outcome {
  sh_status status = SH_OK;
  std::string error;
  const char* state = nullptr;
  size_t state_size = 0;
  sh_risk_verdict_batch* verdicts = nullptr;
};

sh_status create_instance(const char* config_json, std::string* error) {
  if (!g.library) {
    PluginLibrary::Opened opened = PluginLibrary::open(g.plugin_path);
    if (!opened.ok()) {
      *error = opened.error_line(g.plugin_path);
      return SH_ERR_INTERNAL;
    }
    g.library = opened.library;
    g.d = &g.library->descriptor();
  }
  sh_status rc = SH_ERR_INTERNAL;
  void* raw = g.d->create(&g.services, config_json, &rc);
  if (rc != SH_OK || raw == nullptr) {
    const char* e = raw ? g.d->last_error(raw) : nullptr;
    *error = (e && *e) ? e : (rc == SH_OK ? "create() returned NULL" : "status " + std::to_string(rc));
    if (raw) g.d->destroy(raw);
    return rc == SH_OK ? SH_ERR_INTERNAL : rc;
  }
  g.instance = raw;
  return SH_OK;
}

Outcome run_request(Op op, Reader& req) {
  Outcome out;
  auto fail = [&](sh_status s, std::string why) {
    out.status = s;
    out.error = std::move(why);
    return out;
  };
  if (op == Op::kCreate) {
    const char* json = req.get_string();
    if (json == nullptr) return fail(SH_ERR_INVALID_ARGUMENT, "malformed create request");
    if (g.instance != nullptr) return fail(SH_ERR_INTERNAL, "instance exists already");
    out.status = create_instance(json, &out.error);
    return out;
  }
  if (g.instance == nullptr) return fail(SH_ERR_INTERNAL, "no instance");
  switch (op) {
    case Op::kDestroy:
      g.d->destroy(g.instance);
      g.instance = nullptr;
      return out;
    case Op::kSetConfig: {
      const char* json = req.get_string();
      if (json == nullptr) return fail(SH_ERR_INVALID_ARGUMENT, "malformed set_config request");
      if (g.d->set_config == nullptr) return fail(SH_ERR_UNSUPPORTED, "set_config unsupported");
      out.status = g.d->set_config(g.instance, json);
      break;
    }
    case Op::kSaveState:
      if (g.d->save_state == nullptr) return fail(SH_ERR_UNSUPPORTED, "no durable state");
      out.status = g.d->save_state(g.instance, &out.state, &out.state_size);
      if (out.state == nullptr) out.state_size = 0;
      break;
    case Op::kLoadState: {
      uint64_t n = 0;
      const uint8_t* bytes = req.get_value(&n) ? req.get(static_cast<size_t>(n)) : nullptr;
      if (bytes == nullptr && n > 0) return fail(SH_ERR_INVALID_ARGUMENT, "malformed load_state request");
      if (g.d->load_state == nullptr) return fail(SH_ERR_UNSUPPORTED, "no durable state");
      out.status = g.d->load_state(g.instance, reinterpret_cast<const char*>(bytes), n);
      break;
    }
    case Op::kDetect:
    case Op::kExpert: {
      sh_feature_batch batch{};
      sh_market_context context{};
      if (!req.get_value(&batch)) return fail(SH_ERR_INVALID_ARGUMENT, "malformed batch");
      batch.rows = reinterpret_cast<const sh_feature_row*>(req.get(size_t(batch.count) * batch.row_size));
      batch.column_names = nullptr;
      batch.columns = nullptr;
      std::vector<const char*> names;
      if (batch.column_count > 0) {  // ABI 1.6 columns: see put_rows
        uint64_t len = 0;
        const char* blob = req.get_value(&len) ? reinterpret_cast<const char*>(req.get(size_t(len))) : nullptr;
        for (uint64_t at = 0; blob != nullptr && at < len && names.size() < batch.column_count;) {
          names.push_back(blob + at);
          while (at < len && blob[at] != '\0') ++at;
          ++at;
        }
        if (blob == nullptr || names.size() != batch.column_count || blob[len - 1] != '\0') {
          return fail(SH_ERR_INVALID_ARGUMENT, "malformed batch columns");
        }
        batch.column_names = names.data();
        batch.columns = reinterpret_cast<const double*>(req.get(size_t(batch.count) * batch.column_count * sizeof(double)));
      }
      if (!req.get_value(&context)) return fail(SH_ERR_INVALID_ARGUMENT, "malformed batch");
      if (op == Op::kDetect) {
        const sh_hit_sink sink{sizeof(sh_hit_sink), nullptr, &emit_hits};
        out.status = g.d->detector->detect(g.instance, &batch, &context, &sink);
      } else {
        sh_evidence_batch ev{};
        if (!req.get_value(&ev)) return fail(SH_ERR_INVALID_ARGUMENT, "malformed evidence");
        ev.items = reinterpret_cast<sh_evidence*>(req.get(size_t(ev.count) * ev.item_size));
        if (!req.ok()) return fail(SH_ERR_INVALID_ARGUMENT, "malformed evidence");
        out.status = g.d->expert->evaluate(g.instance, &batch, &context, &ev);
      }
      break;
    }
    case Op::kRisk: {
      sh_order_intent_batch intents{};
      sh_portfolio_state portfolio{};
      if (!req.get_value(&intents)) return fail(SH_ERR_INVALID_ARGUMENT, "malformed intents");
      intents.items = reinterpret_cast<const sh_order_intent*>(
          req.get(size_t(intents.count) * intents.item_size));
      if (!req.get_value(&portfolio)) return fail(SH_ERR_INVALID_ARGUMENT, "malformed portfolio");
      portfolio.positions = reinterpret_cast<const sh_position*>(
          req.get(size_t(portfolio.position_count) * portfolio.position_size));
      auto* verdicts = reinterpret_cast<sh_risk_verdict_batch*>(req.get(sizeof(sh_risk_verdict_batch)));
      if (verdicts == nullptr) return fail(SH_ERR_INVALID_ARGUMENT, "malformed verdicts");
      verdicts->items = reinterpret_cast<sh_risk_verdict*>(
          req.get(size_t(verdicts->count) * verdicts->item_size));
      if (!req.ok()) return fail(SH_ERR_INVALID_ARGUMENT, "malformed risk request");
      out.verdicts = verdicts;
      out.status = g.d->risk->evaluate(g.instance, &intents, &portfolio, verdicts);
      break;
    }
    case Op::kPoll: {
      uint32_t max_events = 0;
      if (!req.get_value(&max_events)) return fail(SH_ERR_INVALID_ARGUMENT, "malformed poll");
      const sh_event_sink sink{sizeof(sh_event_sink), nullptr, &emit_events};
      out.status = g.d->provider->poll(g.instance, &sink, max_events);
      break;
    }
    default:
      return fail(SH_ERR_UNSUPPORTED, "unknown request " + std::to_string(static_cast<uint32_t>(op)));
  }
  if (out.status != SH_OK && out.status != SH_WOULD_BLOCK && out.status != SH_END_OF_DATA) {
    out.error = instance_error(out.status);
  }
  return out;
}

void write_reply(Op op, const Outcome& o) {
  Writer w(g.shm + kReplyOffset, kReplyBytes);
  w.put_value<int32_t>(o.status);
  w.put_string(o.error);
  if (g.dropped_logs > 0) {
    g.logs.emplace_back(SH_LOG_WARN, std::to_string(g.dropped_logs) +
                                         " log lines of this call dropped (over " +
                                         std::to_string(kMaxLogLinesPerCall) + ")");
  }
  w.put_value<uint32_t>(static_cast<uint32_t>(g.logs.size()));
  for (const auto& [level, line] : g.logs) {
    w.put_value<int32_t>(level);
    w.put_string(line);
  }
  w.put_value<uint32_t>(static_cast<uint32_t>(g.new_counters.size()));
  for (const auto& [id, name] : g.new_counters) {
    w.put_value<uint32_t>(id);
    w.put_string(name);
  }
  uint32_t changed = 0;
  for (int64_t d : g.deltas) changed += d != 0;
  w.put_value<uint32_t>(changed);
  for (size_t i = 0; i < g.deltas.size(); ++i) {
    if (g.deltas[i] == 0) continue;
    w.put_value<uint32_t>(static_cast<uint32_t>(i + 1));
    w.put_value<int64_t>(g.deltas[i]);
    g.deltas[i] = 0;
  }
  g.logs.clear();
  g.dropped_logs = 0;
  g.new_counters.clear();

  if (op == Op::kDetect) {
    w.put_value<uint32_t>(static_cast<uint32_t>(g.hits.size()));
    for (size_t i = 0; i < g.hits.size(); ++i) {
      w.put_value(g.hits[i]);
      w.put_value<uint32_t>(g.hit_classes[i].first ? 1 : 0);
      w.put_string(g.hit_classes[i].second);
    }
  } else if (op == Op::kRisk) {
    std::vector<std::pair<uint32_t, const char*>> ext;
    if (o.verdicts && o.verdicts->items &&
        o.verdicts->item_size >= offsetof(sh_risk_verdict, detail_ext) + sizeof(const char*)) {
      for (uint32_t i = 0; i < o.verdicts->count; ++i) {
        auto* v = reinterpret_cast<sh_risk_verdict*>(reinterpret_cast<uint8_t*>(o.verdicts->items) +
                                                     size_t(i) * o.verdicts->item_size);
        if (v->detail_ext != nullptr) ext.emplace_back(i, v->detail_ext);
      }
    }
    w.put_value<uint32_t>(static_cast<uint32_t>(ext.size()));
    for (const auto& [i, text] : ext) {
      w.put_value<uint32_t>(i);
      w.put_string(text);
    }
  } else if (op == Op::kSaveState) {
    w.put_value<uint64_t>(o.state_size);
    w.put(o.state, o.state_size);
  } else if (op == Op::kPoll) {
    w.put_value<uint32_t>(static_cast<uint32_t>(g.events.size()));
    w.put(g.events.data(), g.events.size() * sizeof(sh_market_event));
  }
  g.hits.clear();
  g.hit_classes.clear();
  g.events.clear();

  if (!w.ok()) {
    // Too big for the reply area: say so instead of a cut reply.
    Writer e(g.shm + kReplyOffset, kReplyBytes);
    e.put_value<int32_t>(SH_ERR_INTERNAL);
    e.put_string("the reply does not fit the isolation channel's " +
                 std::to_string(kReplyBytes >> 20) + " MiB");
    for (int i = 0; i < 3; ++i) e.put_value<uint32_t>(0);
    if (op == Op::kDetect || op == Op::kRisk || op == Op::kPoll) e.put_value<uint32_t>(0);
    if (op == Op::kSaveState) e.put_value<uint64_t>(0);
    header().reply_bytes = e.size();
    return;
  }
  header().reply_bytes = w.size();
}

bool read_symbols(Reader& req) {
  uint32_t first = 0, count = 0;
  if (!req.get_value(&first) || !req.get_value(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    size_t n = 0;
    const char* s = req.get_string(&n);
    if (s == nullptr) return false;
    if (g.names.find(first + i) == g.names.end()) remember(first + i, std::string(s, n));
  }
  return true;
}

int usage(const char* why) {
  std::fprintf(stderr, "sh-plugin-runner: %s\n"
                       "usage: sh-plugin-runner --channel-fd N --shm-fd N --plugin PATH "
                       "--component NAME\n       sh-plugin-runner --probe PATH\n"
                       "(started by the host for `isolation: process` and to probe plugin files)\n",
               why);
  return 2;
}

}  // namespace

int plugin_runner_main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--probe") {
    // Load the file and say so; the host only looks at whether this survives.
    const PluginLibrary::Opened opened = PluginLibrary::open(argv[2]);
    std::printf("probe-done %s\n", opened.status.c_str());
    std::fflush(stdout);
    ::_exit(0);
  }
  int channel_fd = -1, shm_fd = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--channel-fd") {
      channel_fd = std::atoi(argv[i + 1]);
    } else if (key == "--shm-fd") {
      shm_fd = std::atoi(argv[i + 1]);
    } else if (key == "--plugin") {
      g.plugin_path = argv[i + 1];
    } else if (key == "--component") {
      g.component = argv[i + 1];
    } else {
      return usage(("unknown argument " + key).c_str());
    }
  }
  if (channel_fd < 0 || shm_fd < 0 || g.plugin_path.empty()) return usage("missing arguments");
  // The host decides when this process ends (and a terminal's ^C goes to it).
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  void* m = ::mmap(nullptr, kShmBytes, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
  if (m == MAP_FAILED) return usage("cannot map the channel");
  ::close(shm_fd);
  g.shm = static_cast<uint8_t*>(m);
  g.sock = channel_fd;
  if (header().magic != kChannelMagic) return usage("not a channel");

  g.services.struct_size = sizeof(sh_host_services);
  g.services.abi_major = SH_ABI_MAJOR;
  g.services.abi_minor = SH_ABI_MINOR;
  g.services.host_ctx = &g;
  g.services.log = &svc_log;
  g.services.now_ns = &svc_now_ns;
  g.services.intern_symbol = &svc_intern;
  g.services.symbol_name = &svc_symbol_name;
  g.services.counter_register = &svc_counter_register;
  g.services.counter_add = &svc_counter_add;

  for (;;) {
    if (wait_signal() != kSignalRequest) continue;
    const Op op = static_cast<Op>(header().op);
    g.now_ns = header().now_ns;
    Reader req(g.shm + kRequestOffset,
               static_cast<size_t>(std::min<uint64_t>(header().request_bytes, kRequestBytes)));
    Outcome o;
    if (!read_symbols(req)) {
      o.status = SH_ERR_INVALID_ARGUMENT;
      o.error = "malformed request";
    } else {
      try {
        o = run_request(op, req);
      } catch (...) {
        o.status = SH_ERR_EXCEPTION;
        o.error = "an exception escaped the plugin (it must return a status instead)";
      }
    }
    write_reply(op, o);
    if (!send_signal(kSignalDone)) return 0;
    if (op == Op::kDestroy) ::_exit(0);
  }
}

}  // namespace sh::host
