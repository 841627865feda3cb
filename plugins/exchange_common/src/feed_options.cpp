// feed_options.cpp: parse_feed_options.
#include "exchange/feed_options.h"

#include <strategy_host/plugin.hpp>

#include <exception>

#include "exchange/url.h"

namespace exchange {

void parse_feed_options(const sh::config::Reader& r, const std::string& plugin, FeedOptions* o) {
  if (r.has("ws_url")) o->ws_url = r.string("ws_url");
  try {
    parse_url(o->ws_url);
  } catch (const std::exception& e) {
    throw sh::ConfigError(plugin + ": " + e.what());
  }
  o->depth_levels = static_cast<uint32_t>(r.integer("depth_levels"));
  const sh::config::Reader rc = r.object("reconnect");
  BackoffConfig& b = o->backoff;
  b.initial_ms = rc.integer("initial_ms");
  b.max_ms = rc.integer("max_ms");
  b.multiplier = rc.number("multiplier");
  b.jitter = rc.number("jitter");
  if (b.max_ms < b.initial_ms)
    throw sh::ConfigError(plugin + ": reconnect.max_ms must be >= reconnect.initial_ms");
  o->stale_timeout_ms = r.integer("stale_timeout_ms");
  o->connect_timeout_ms = r.integer("connect_timeout_ms");
  o->max_connection_age_s = r.integer("max_connection_age_s");
  o->connects_per_5min = r.integer("connects_per_5min");
  o->tls_verify = r.boolean("tls_verify");
  if (r.has("ca_file")) o->ca_file = r.string("ca_file");
  o->queue_capacity = static_cast<uint32_t>(r.integer("queue_capacity"));
  o->stop_after_frames = r.unsigned_integer("stop_after_frames");
  o->stop_after_disconnects = r.unsigned_integer("stop_after_disconnects");
  if (r.has("record")) o->record_dir = r.string("record");
  o->record_rotate_frames = r.unsigned_integer("record_rotate_frames");
  if (r.has("capture")) o->capture = r.string("capture");
  o->log_limit_per_reason = static_cast<uint32_t>(r.integer("log_limit_per_reason"));
}

}  // namespace exchange
