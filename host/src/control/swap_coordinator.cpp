#include "control/swap_coordinator.h"

#include "config/config_keys.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

#include "isolation/plugin_probe.h"
#include "plugins/content_address.h"
#include "plugins/lua_rule_loader.h"
#include "config/yaml_json.h"
#include "services/text_util.h"
#include "services/host_clock.h"

namespace sh::host {

namespace fs = std::filesystem;

namespace {

bool read_text(const fs::path& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path.string() + ": cannot read";
    return false;
  }
  text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

bool inside(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  const fs::path real_dir = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  const fs::path rel = path.lexically_relative(real_dir);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

sh_status ignore_hits(void*, const sh_detector_hit*, uint32_t, uint32_t) { return SH_OK; }

}  // namespace

nlohmann::json load_config_map(const fs::path& path) {
  const ConfigSource source(path.string(), path.parent_path());
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path.string() + ": cannot read");
    // One byte past the limit is enough to refuse an oversized file.
    text.resize(kMaxYamlBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) throw ConfigError(path.string() + ": cannot read");
    text.resize(static_cast<size_t>(in.gcount()));
  }
  // The same bounds as the host config (size, nesting, alias expansion).
  const YAML::Node node = load_yaml_bounded(text, source);
  if (!node.IsMap()) throw ConfigError(path.string() + ": expected a map of parameters");
  return yaml_to_json(node, source);
}

SwapCoordinator::SwapCoordinator(const HostConfig& config, HostRuntime& runtime, Pipeline& pipeline,
                                 OutcomeFn on_outcome)
    : config_(config),
      runtime_(runtime),
      pipeline_(pipeline),
      on_outcome_(std::move(on_outcome)),
      plugin_cache_(config.state_dir() / "plugin_cache"),
      rule_cache_(config.state_dir() / "rule_cache") {
  pipeline_.set_swap_listener(this);
  reporter_ = std::thread([this] { reporter_loop(); });
}

SwapCoordinator::~SwapCoordinator() {
  pipeline_.set_swap_listener(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  reporter_.join();
}

// ------------------------------------------------------------------ reports

void SwapCoordinator::post(Report report) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    reports_.push_back(std::move(report));
  }
  cv_.notify_all();
}

void SwapCoordinator::on_swap_done(SwapDone done) {
  Report r;
  r.outcome = done.outcome;
  r.done = std::make_unique<SwapDone>(std::move(done));
  post(std::move(r));
}

void SwapCoordinator::reporter_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !reports_.empty(); });
    if (reports_.empty()) return;  // stopping, all delivered
    Report r = std::move(reports_.front());
    reports_.pop_front();
    busy_ = true;
    lock.unlock();
    if (r.done && r.outcome.applied && on_applied_) on_applied_(*r.done);
    r.done.reset();  // the retired instance dies here, off the pipeline thread
    if (on_outcome_) on_outcome_(r.outcome);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void SwapCoordinator::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return reports_.empty() && !busy_; });
}

// ------------------------------------------------------------------ submit

std::string SwapCoordinator::submit(const ReloadRequest& request_in) {
  ReloadRequest request = request_in;
  if (request.received_wall_ns == 0) request.received_wall_ns = HostClock::wall_ns();
  Prepared p = prepare(request);
  Report r;
  r.outcome.request = request;
  if (!p.swap) {
    r.outcome.reason = p.error;
    post(std::move(r));
    return p.error;
  }
  if (request.dry_run) {
    const ConfigVersion& v = p.swap->record;
    std::string what;
    switch (v.swap) {
      case SwapKind::kSetConfig: what = "set_config on the serving instance"; break;
      case SwapKind::kInstance:
        what = "a new instance of plugin " + p.swap->instance->library().name() + " " +
               v.library_version;
        break;
      default: what = "Lua rule lua:" + v.rule_hash; break;
    }
    r.outcome.reason = "dry run: would apply component '" + v.component + "' " + v.label + " (" +
                       what + ", hash " + v.content_hash.substr(0, 12) + ")";
    r.outcome.content_hash = v.content_hash;
    p.swap.reset();  // the candidate dies here, on the control thread
    post(std::move(r));
    return "";
  }
  p.swap->request = request;
  pipeline_.enqueue_swap(std::move(p.swap));
  return "";
}

SwapCoordinator::Prepared SwapCoordinator::refuse(const std::string& reason) {
  Prepared p;
  p.error = one_line(reason);
  return p;
}

SwapCoordinator::Prepared SwapCoordinator::prepare(const ReloadRequest& request) {
  SwapTargetInfo target;
  if (!pipeline_.swap_target(request.component, &target)) {
    if (request.component.empty()) return refuse("the request names no component");
    if (request.component == "features") return refuse(features_reload_refusal());
    const ComponentConfig* c = config_.find_component(request.component);
    if (c != nullptr && c->kind == SH_KIND_VENUE) {
      return refuse("component '" + request.component +
                    "' is the execution venue: it is not swapped while the host runs (working "
                    "orders live there); change execution.venue and restart the host");
    }
    if (c != nullptr) {
      return refuse("component '" + request.component +
                    "' is configured but does not run in this pipeline (providers and detectors "
                    "swap)");
    }
    return refuse("unknown component '" + request.component + "'");
  }
  if (request.shadow != ShadowAction::kNone) {
    const std::string why = shadow_refusal(request, target);
    if (!why.empty()) return refuse("component '" + request.component + "': " + why);
    if (request.shadow == ShadowAction::kDiscard) return prepare_discard(*target.shadow, request);
    if (request.shadow == ShadowAction::kPromote) return prepare_promote(*target.shadow, request);
  }
  if (request.rollback_to) {
    ConfigVersion record;
    const Status st = pipeline_.read_config_version(request.component, *request.rollback_to, &record);
    if (!st.ok()) return refuse("rollback: " + st.message());
    return prepare_record(record, request, false);
  }
  return target.lua ? prepare_lua(request, target) : prepare_plugin(request, target);
}

// ------------------------------------------------------------------ plugins

std::string SwapCoordinator::check_plugin_path(const fs::path& path) const {
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(path, ec);
  if (!ec) {
    for (const fs::path& dir : config_.plugin_dirs()) {
      if (inside(real, dir)) return "";
    }
    if (inside(real, plugin_cache_)) return "";
    for (const ComponentConfig* c : config_.components()) {
      std::error_code cec;
      if (!c->plugin_path.empty() && fs::weakly_canonical(c->plugin_path, cec) == real) return "";
    }
  }
  std::string dirs;
  for (const fs::path& d : config_.plugin_dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
  return "plugin_path " + path.string() + " is outside host.plugin_dirs (" +
         (dirs.empty() ? std::string("none configured") : dirs) +
         "); a reload loads plugins only from a plugin directory";
}

std::string SwapCoordinator::create_instance(const std::string& component,
                                             std::shared_ptr<const PluginLibrary> library,
                                             const nlohmann::json& config, PreparedSwap* swap) {
  // A replacement runs where the serving instance runs (isolation: process or not).
  const ComponentConfig* entry = config_.find_component(component);
  PluginInstance::Created created = PluginInstance::create(
      component, library, config, runtime_, entry ? entry->isolation : IsolationOptions{});
  if (!created.instance) return created.error;
  if (created.instance->kind() == SH_KIND_DETECTOR) {
    // Warm-up: one call on an empty batch, so that a plugin that cannot run
    // at all is refused here rather than failing on the hot path.
    const sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 0, 0, 0, nullptr,
                                 0, 0, nullptr, nullptr};
    sh_market_context context{};
    context.struct_size = sizeof(context);
    context.benchmark_ret = std::numeric_limits<double>::quiet_NaN();
    const sh_hit_sink sink{sizeof(sh_hit_sink), nullptr, &ignore_hits};
    const sh_status st = created.instance->detect(batch, context, sink);
    if (st != SH_OK) {
      return "component '" + component + "' (plugin " + library->name() +
             "): warm-up call failed (" + abi_status_name(st) + "): " +
             created.instance->last_error();
    }
  }
  swap->instance = std::move(created.instance);
  return "";
}

SwapCoordinator::Prepared SwapCoordinator::prepare_plugin(const ReloadRequest& request,
                                                          const SwapTargetInfo& target) {
  const std::string& name = request.component;
  if (!request.rule_path.empty()) {
    return refuse("component '" + name + "' is a plugin: rule_path is for Lua rules");
  }
  if (request.config_path.empty() && request.plugin_path.empty()) {
    return refuse("component '" + name + "': nothing to change (give config_path or plugin_path)");
  }
  std::shared_ptr<const PluginLibrary> library = target.library;
  std::string plugin_path = target.current.plugin_path;
  if (!request.plugin_path.empty()) {
    const fs::path path = config_.resolve(request.plugin_path);
    std::string why = check_plugin_path(path);
    if (!why.empty()) return refuse("component '" + name + "': " + why);
    const auto copy = copy_to_content_addressed(path, plugin_cache_, &why);
    if (!copy) return refuse("component '" + name + "': " + why);
    // An isolated component's new binary loads in a child first (a crash
    // while loading must not take the serving host down).
    const ComponentConfig* entry = config_.find_component(name);
    const PluginLibrary::Opened opened = entry && entry->isolation.process
                                             ? open_probed(*copy)
                                             : PluginLibrary::open(*copy);
    if (!opened.ok()) return refuse("component '" + name + "': " + opened.error_line(path));
    if (opened.library->kind() != target.kind) {
      return refuse("component '" + name + "' is a " + kind_name(target.kind) + " but plugin '" +
                    opened.library->name() + "' (" + path.string() + ") is a " +
                    kind_name(opened.library->kind()));
    }
    library = opened.library;
    plugin_path = copy->string();
  }
  if (!library) return refuse("component '" + name + "' has no plugin library");
  nlohmann::json config = target.current.config;
  if (!request.config_path.empty()) {
    try {
      config = load_config_map(config_.resolve(request.config_path));
    } catch (const ConfigError& e) {
      return refuse("component '" + name + "': " + e.what());
    }
  }
  if (auto err = library->schema().validate(config)) {
    return refuse("component '" + name + "' (plugin " + library->name() + "): " +
                  err->to_string("config"));
  }

  auto swap = std::make_unique<PreparedSwap>();
  swap->request = request;
  ConfigVersion& rec = swap->record;
  rec.component = name;
  rec.config = config;
  rec.plugin_path = plugin_path;
  rec.plugin_sha256 = library->content_sha256();
  rec.library_version = library->version();
  rec.content_hash = config_content_hash(config, rec.plugin_sha256);
  rec.origin = request.origin;
  rec.shadow = shadow_action_name(request.shadow);
  // A shadow candidate is an instance of its own, beside the serving one.
  if (request.plugin_path.empty() && library->supports_set_config() &&
      request.shadow != ShadowAction::kStart) {
    rec.swap = SwapKind::kSetConfig;  // validated now, applied on the pipeline thread
  } else {
    rec.swap = SwapKind::kInstance;
    const std::string err = create_instance(name, library, config, swap.get());
    if (!err.empty()) return refuse(err);
  }
  finish_label(swap.get());
  Prepared p;
  p.swap = std::move(swap);
  return p;
}

// ------------------------------------------------------------------ Lua

std::string SwapCoordinator::check_rule_path(const fs::path& path) const {
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(path, ec);
  if (!ec) {
    for (const fs::path& dir : config_.rule_dirs()) {
      if (inside(real, dir)) return "";
    }
  }
  std::string dirs;
  for (const fs::path& d : config_.rule_dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
  return "rule_path " + path.string() + " is outside host.rule_dirs (" +
         (dirs.empty() ? std::string("none configured") : dirs) +
         "); rules load only from a rule directory";
}

std::string SwapCoordinator::build_rule(const std::string& component, const std::string& path,
                                        const std::string& source, const nlohmann::json& params,
                                        PreparedSwap* swap) {
  const ComponentConfig* c = config_.find_component(component);
  if (c == nullptr || !c->is_lua) return "component '" + component + "' is not a Lua rule";
  LuaRuleConfig rc = make_lua_rule_config(*c, &runtime_);
  rc.params_json = params.dump();
  std::string error;
  const bool shadow = swap->request.shadow == ShadowAction::kStart;
  if (shadow) {
    // A shadow candidate serves beside the component's rule: a rule of its own.
    rc.path = path;
    swap->shadow_rule = LuaRule::load(rc, &error);
  } else {
    swap->rule = LuaRule::prepare(rc, path, &error);
  }
  if (shadow ? !swap->shadow_rule : !swap->rule) {
    return "component '" + component + "' (lua " + rule_kind_name(rc.kind) +
           "): " + with_full_rule_path(error, path);
  }
  // The candidate compiled whatever the file held when prepare() read it:
  // make sure that is the text the record keeps.
  std::string now;
  std::string why;
  if (!read_text(path, &now, &why) || now != source) {
    swap->rule.reset();
    swap->shadow_rule.reset();
    return "component '" + component + "': " + path + " changed while it was being loaded; retry";
  }
  ConfigVersion& rec = swap->record;
  rec.component = component;
  rec.lua = true;
  rec.swap = SwapKind::kLuaRule;
  rec.config = params;
  rec.rule_source = source;
  rec.rule_hash = content_hash_fnv1a64(source);
  rec.content_hash = config_content_hash(params, sha256_hex(source));
  rec.shadow = shadow_action_name(swap->request.shadow);
  return "";
}

SwapCoordinator::Prepared SwapCoordinator::prepare_lua(const ReloadRequest& request,
                                                       const SwapTargetInfo& target) {
  const std::string& name = request.component;
  if (!request.plugin_path.empty()) {
    return refuse("component '" + name + "' is a Lua rule: plugin_path is for plugins");
  }
  nlohmann::json params = target.current.config;
  if (!request.config_path.empty()) {
    try {
      params = load_config_map(config_.resolve(request.config_path));
    } catch (const ConfigError& e) {
      return refuse("component '" + name + "': " + e.what());
    }
  }
  std::string path;
  std::string source;
  std::string why;
  if (!request.rule_path.empty()) {
    const fs::path p = config_.resolve(request.rule_path);
    why = check_rule_path(p);
    if (!why.empty()) return refuse("component '" + name + "': " + why);
    path = p.string();
    if (!read_text(p, &source, &why)) return refuse("component '" + name + "': " + why);
  } else if (!request.config_path.empty()) {
    // New params for the serving text: from its file while that still holds
    // it, else from a copy of the text in the rule cache.
    path = target.current.rule_file;
    source = target.current.rule_source;
    std::string now;
    if (!read_text(path, &now, &why) || now != source) {
      const fs::path cached = rule_cache_ / target.current.rule_hash /
                              fs::path(target.current.rule_file).filename();
      std::error_code ec;
      fs::create_directories(cached.parent_path(), ec);
      std::ofstream(cached, std::ios::binary | std::ios::trunc) << source;
      path = cached.string();
    }
  } else {
    const ComponentConfig* c = config_.find_component(name);
    if (c == nullptr) return refuse("unknown component '" + name + "'");
    path = c->lua.path.string();
    if (!read_text(path, &source, &why)) return refuse("component '" + name + "': " + why);
  }
  auto swap = std::make_unique<PreparedSwap>();
  swap->request = request;
  why = build_rule(name, path, source, params, swap.get());
  if (!why.empty()) return refuse(why);
  swap->record.rule_file = request.rule_path.empty() && !request.config_path.empty()
                               ? target.current.rule_file
                               : path;
  swap->record.origin = request.origin;
  finish_label(swap.get());
  Prepared p;
  p.swap = std::move(swap);
  return p;
}

// ------------------------------------------------------------------ records

SwapCoordinator::Prepared SwapCoordinator::prepare_record(const ConfigVersion& record,
                                                          const ReloadRequest& request, bool exact) {
  SwapTargetInfo target;
  if (!pipeline_.swap_target(record.component, &target)) {
    return refuse("unknown component '" + record.component + "'");
  }
  const std::string& name = record.component;
  const std::string what = "component '" + name + "' version " + std::to_string(record.version);
  if (record.lua != target.lua) return refuse(what + ": the record is of another component type");
  auto swap = std::make_unique<PreparedSwap>();
  swap->request = request;
  if (record.lua) {
    // Rebuilt from the stored text, in a file that keeps the original name
    // (a rule's default hit class is its file stem).
    const fs::path cached =
        rule_cache_ / record.rule_hash / fs::path(record.rule_file).filename();
    std::error_code ec;
    fs::create_directories(cached.parent_path(), ec);
    {
      std::ofstream out(cached, std::ios::binary | std::ios::trunc);
      out << record.rule_source;
      if (!out) return refuse(what + ": cannot write " + cached.string());
    }
    const std::string why =
        build_rule(name, cached.string(), record.rule_source, record.config, swap.get());
    if (!why.empty()) return refuse(why);
    swap->record.rule_file = record.rule_file;
  } else {
    std::shared_ptr<const PluginLibrary> library;
    if (target.library && target.library->content_sha256() == record.plugin_sha256) {
      library = target.library;
    } else {
      if (record.plugin_path.empty()) return refuse(what + ": the record names no plugin file");
      std::string why;
      const auto sha = sha256_file(record.plugin_path, &why);
      if (!sha) return refuse(what + ": " + why);
      if (*sha != record.plugin_sha256) {
        return refuse(what + ": " + record.plugin_path + " no longer holds the recorded binary");
      }
      const PluginLibrary::Opened opened = PluginLibrary::open(record.plugin_path);
      if (!opened.ok()) return refuse(what + ": " + opened.error_line(record.plugin_path));
      if (opened.library->kind() != target.kind) {
        return refuse(what + ": plugin '" + opened.library->name() + "' is a " +
                      kind_name(opened.library->kind()));
      }
      library = opened.library;
    }
    if (auto err = library->schema().validate(record.config)) {
      return refuse(what + " (plugin " + library->name() + "): " + err->to_string("config"));
    }
    ConfigVersion& rec = swap->record;
    rec.component = name;
    rec.config = record.config;
    rec.plugin_path = record.plugin_path;
    rec.plugin_sha256 = record.plugin_sha256;
    rec.library_version = library->version();
    rec.content_hash = config_content_hash(rec.config, rec.plugin_sha256);
    const bool same_library = target.library == library;
    const bool candidate = request.shadow == ShadowAction::kStart;
    if (!candidate && (exact ? record.swap == SwapKind::kSetConfig
                             : same_library && library->supports_set_config())) {
      rec.swap = SwapKind::kSetConfig;
    } else {
      rec.swap = SwapKind::kInstance;
      const std::string err = create_instance(name, library, rec.config, swap.get());
      if (!err.empty()) return refuse(err);
    }
  }
  swap->record.origin = request.origin;
  swap->record.shadow = shadow_action_name(request.shadow);
  if (exact) {
    swap->record.label = record.label;
    swap->record.version = record.version;  // the pipeline keeps it when it is still free
  } else if (request.version.empty()) {
    swap->record.label = "rollback to " + std::to_string(record.version);
  } else {
    swap->record.label = request.version;
  }
  Prepared p;
  p.swap = std::move(swap);
  return p;
}

// ------------------------------------------------------------------ shadow trials

std::string SwapCoordinator::shadow_refusal(const ReloadRequest& request,
                                            const SwapTargetInfo& target) const {
  const bool shadowable = target.kind == SH_KIND_DETECTOR || target.kind == SH_KIND_RISK ||
                          (target.kind == SH_KIND_EXPERT && !target.lua);
  if (target.provider || !shadowable) {
    const char* what = target.provider                  ? "market-data provider"
                       : target.kind == SH_KIND_EXPERT ? "Lua router rule"
                                                        : kind_name(target.kind);
    return std::string("shadow trials run detectors (plugins and Lua rules), expert plugins and "
                       "risk policies (plugins and Lua rules); this is a ") +
           what;
  }
  if (request.shadow != ShadowAction::kStart && !target.shadow) {
    return std::string("no shadow trial is running to ") + shadow_action_name(request.shadow) +
           " (start one with host reload --shadow)";
  }
  return "";
}

SwapCoordinator::Prepared SwapCoordinator::prepare_discard(const ConfigVersion& candidate,
                                                           const ReloadRequest& request) {
  auto swap = std::make_unique<PreparedSwap>();
  swap->request = request;
  ConfigVersion& rec = swap->record;
  rec.component = request.component;
  rec.shadow = "discard";
  rec.lua = candidate.lua;
  rec.swap = candidate.swap;
  rec.label = candidate.label;
  rec.content_hash = candidate.content_hash;
  rec.origin = request.origin;
  Prepared p;
  p.swap = std::move(swap);
  return p;
}

// Promote: the candidate's record, applied as a plain swap (set_config on
// the serving instance where the plugin supports it and the binary is the
// same, else a new instance or rule version), that also ends the trial.
SwapCoordinator::Prepared SwapCoordinator::prepare_promote(const ConfigVersion& candidate,
                                                           const ReloadRequest& request) {
  ReloadRequest plain = request;
  plain.shadow = ShadowAction::kNone;
  Prepared p = prepare_record(candidate, plain, false);
  if (!p.swap) return p;
  p.swap->request = request;
  p.swap->record.shadow = "promote";
  p.swap->record.label = request.version.empty() ? candidate.label : request.version;
  return p;
}

void SwapCoordinator::finish_label(PreparedSwap* swap) const {
  swap->record.label =
      swap->request.version.empty() ? swap->record.content_hash.substr(0, 12) : swap->request.version;
}

SwapCoordinator::Prepared SwapCoordinator::rebuild(const ConfigVersion& entry, const char* origin,
                                                   bool exact) {
  ReloadRequest request;
  request.component = entry.component;
  request.version = entry.label;
  request.origin = origin;
  request.received_wall_ns = HostClock::wall_ns();
  // A journal replays trials as they happened; a restore (not exact)
  // re-applies a promoted version as the plain swap it is.
  request.shadow = exact ? parse_shadow_action(entry.shadow) : ShadowAction::kNone;
  // A journalled discard needs no candidate: the trial it ends is started
  // by an earlier entry of the same replay.
  if (request.shadow == ShadowAction::kDiscard) return prepare_discard(entry, request);
  return prepare_record(entry, request, exact);
}

void SwapCoordinator::schedule_restore(const std::vector<ConfigVersion>& versions) {
  std::vector<std::unique_ptr<PreparedSwap>> swaps;
  for (const ConfigVersion& entry : versions) {
    Prepared p = rebuild(entry, "restore", false);
    if (!p.swap) {
      spdlog::error("component '{}': cannot re-apply version {} ({}): {}; serving the YAML's config",
                    entry.component, entry.version, entry.label, p.error);
      continue;
    }
    p.swap->apply_at_seq = 0;
    swaps.push_back(std::move(p.swap));
  }
  if (!swaps.empty()) pipeline_.schedule_swaps(std::move(swaps));
}

Status SwapCoordinator::schedule_journal(const std::vector<ConfigVersion>& journal) {
  std::vector<std::unique_ptr<PreparedSwap>> swaps;
  for (const ConfigVersion& entry : journal) {
    Prepared p = rebuild(entry, "journal", true);
    if (!p.swap) {
      return Status::InvalidArgument("swap journal entry at event " +
                                     std::to_string(entry.effective_seq) + ": " + p.error);
    }
    p.swap->apply_at_seq = entry.effective_seq;
    swaps.push_back(std::move(p.swap));
  }
  pipeline_.schedule_swaps(std::move(swaps));
  return Status::Ok();
}

}  // namespace sh::host
