/* A descriptor filled by hand in C, for the plugins that break one rule each. */
#ifndef SH_TEST_RAW_DESCRIPTOR_H
#define SH_TEST_RAW_DESCRIPTOR_H

#include <strategy_host/abi.h>

static const char kRawSchema[] =
    "{\"type\":\"object\",\"properties\":{\"threshold\":{\"type\":\"number\"}}}";

static inline void* raw_create(const sh_host_services* host, const char* config_json,
                               sh_status* rc) {
  (void)host;
  (void)config_json;
  static int instance;
  *rc = SH_OK;
  return &instance;
}
static inline void raw_destroy(void* instance) { (void)instance; }
static inline const char* raw_last_error(void* instance) {
  (void)instance;
  return "";
}
static inline sh_status raw_detect(void* instance, const sh_feature_batch* rows,
                                   const sh_market_context* context, const sh_hit_sink* sink) {
  (void)instance;
  (void)rows;
  (void)context;
  (void)sink;
  return SH_OK;
}

/* A complete, valid detector descriptor; each plugin changes one field. */
static inline sh_plugin_descriptor raw_detector_descriptor(const char* name,
                                                           const sh_detector_api* api) {
  sh_plugin_descriptor d = {0};
  d.struct_size = sizeof(sh_plugin_descriptor);
  d.abi_major = SH_ABI_MAJOR;
  d.abi_minor = SH_ABI_MINOR;
  d.kind = SH_KIND_DETECTOR;
  d.name = name;
  d.version = "0.0.1";
  d.description = "test plugin";
  d.config_schema = kRawSchema;
  d.create = raw_create;
  d.destroy = raw_destroy;
  d.last_error = raw_last_error;
  d.detector = api;
  return d;
}

#endif
