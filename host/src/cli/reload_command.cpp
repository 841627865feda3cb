#include "cli/reload_command.h"

#include <chrono>
#include <iostream>

#include "control/control_config.h"
#include "control/reload_message.h"
#include "control/reload_signing.h"
#include "events/redis_client.h"
#include "services/host_services.h"
#include "config/pipeline_config.h"

namespace sh::host {

void add_reload_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("component", po::value<std::string>()->value_name("NAME"), "component to reload (required)")
      ("config-path", po::value<std::string>()->value_name("FILE"), "new parameters (YAML or JSON)")
      ("plugin-path", po::value<std::string>()->value_name("FILE"), "new plugin binary (.so in a plugin dir)")
      ("rule-path", po::value<std::string>()->value_name("FILE"), "Lua rule source (.lua in a rule dir)")
      ("label", po::value<std::string>()->value_name("V"), "the message's version label (default: content hash)")
      ("rollback", po::value<uint64_t>()->value_name("N"), "restore stored config version N")
      ("dry-run", "validate and report on the host, never swap (not stored as desired state)")
      ("shadow", "run the change as a shadow trial beside the serving version (detectors; not stored as desired state)")
      ("promote", "swap the component's running shadow candidate in and end the trial")
      ("discard", "drop the component's running shadow candidate (not stored as desired state)")
      ("emergency", po::value<std::string>()->value_name("REASON"),
       "a de-risking change (emergency Kelly cut, breaker reset): the VaR guard lets it through, logging REASON");
}

int run_reload_command(const HostConfig& config, const CliOptions& options) {
  const auto& vm = options.vm;
  if (!vm.count("component")) {
    std::cerr << "host reload: --component is required\n";
    return 2;
  }
  if (!options.args.empty()) {
    std::cerr << "host reload: unexpected argument '" << options.args.front() << "'\n";
    return 2;
  }
  ReloadRequest req;
  req.component = vm["component"].as<std::string>();
  if (vm.count("config-path")) req.config_path = vm["config-path"].as<std::string>();
  if (vm.count("plugin-path")) req.plugin_path = vm["plugin-path"].as<std::string>();
  if (vm.count("rule-path")) req.rule_path = vm["rule-path"].as<std::string>();
  if (vm.count("label")) req.version = vm["label"].as<std::string>();
  if (vm.count("rollback")) {
    req.rollback_to = vm["rollback"].as<uint64_t>();
    if (*req.rollback_to == 0) {
      std::cerr << "host reload: --rollback must be a positive config version\n";
      return 2;
    }
  }
  req.dry_run = vm.count("dry-run") > 0;
  if (vm.count("shadow") + vm.count("promote") + vm.count("discard") > 1) {
    std::cerr << "host reload: --shadow, --promote and --discard exclude each other\n";
    return 2;
  }
  if (vm.count("shadow")) req.shadow = ShadowAction::kStart;
  if (vm.count("promote")) req.shadow = ShadowAction::kPromote;
  if (vm.count("discard")) req.shadow = ShadowAction::kDiscard;
  // A trial's start or end leaves the serving version alone: published only.
  const bool publish_only = req.dry_run || req.shadow == ShadowAction::kStart ||
                            req.shadow == ShadowAction::kDiscard;
  if (vm.count("emergency")) {
    req.emergency = vm["emergency"].as<std::string>();
    if (req.emergency.empty() || req.emergency.size() > 256) {
      std::cerr << "host reload: --emergency needs a reason of 1 to 256 characters\n";
      return 2;
    }
  }

  PipelineConfig pipeline;
  ControlConfig control;
  try {
    HostRuntime runtime;
    pipeline = parse_pipeline_config(config, runtime);
    control = parse_control_config(config);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (!pipeline.redis.enabled) {
    std::cerr << "host reload: " << config.source_name()
              << " has no redis: section; there is nothing to publish to\n";
    return 1;
  }

  // A signed message says when it was signed and carries a nonce, so that a
  // captured copy cannot be published again later (control/replay_guard.h).
  if (control.signing_required()) {
    req.signed_ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    req.nonce = random_nonce();
  }
  // Refuse here what the host would refuse, with the same reason.
  const std::string body = reload_message_json(req);
  ReloadRequest checked;
  const MessageCheck chk = parse_reload_message(body, control.paths, &checked);
  if (!chk.ok()) {
    std::cerr << "host reload: refused: " << chk.reason << "\n";
    return 1;
  }
  const std::string text =
      control.signing_required() ? sign_reload_message(control.hmac_secret, body) : body;

  RedisClient redis(pipeline.redis.host, pipeline.redis.port, pipeline.redis.timeout_ms);
  Status st = redis.connect();
  int64_t receivers = 0;
  if (st.ok() && publish_only) {
    RedisReply r;
    st = redis.command({"PUBLISH", control.channel, text}, &r);
    receivers = r.integer;
  } else if (st.ok()) {
    std::vector<RedisReply> replies;
    st = redis.pipeline({{"MULTI"},
                         {"HSET", control.desired_key, req.component, text},
                         {"PUBLISH", control.channel, text},
                         {"EXEC"}},
                        &replies);
    if (st.ok() && (replies.size() != 4 || replies[3].type != RedisReply::Type::kArray ||
                    replies[3].elements.size() != 2)) {
      st = Status::RemoteError("redis " + redis.endpoint() + ": EXEC: transaction not executed");
    }
    if (st.ok()) receivers = replies[3].elements[1].integer;
  }
  if (!st.ok()) {
    std::cerr << "host reload: " << st.message() << "\n";
    return 1;
  }
  std::cout << "published " << req.component << " to " << control.channel << ": received by "
            << receivers << " subscriber(s)";
  if (publish_only) {
    std::cout << (req.dry_run ? " (dry run" : " (shadow trial") << ": not stored as desired state)\n";
  } else {
    std::cout << "; desired state stored in " << control.desired_key << "[" << req.component << "]\n";
  }
  if (receivers == 0) {
    std::cerr << "host reload: warning: no host is subscribed to " << control.channel
              << (req.dry_run ? "; nobody validated the dry run\n" : publish_only ? "; nobody received it\n"
                              : "; hosts apply the desired state when they connect\n");
  }
  return 0;
}

}  // namespace sh::host
