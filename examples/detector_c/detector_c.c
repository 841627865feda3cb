/* example_detector_c: the minimal detector in plain C99, against abi.h only.
 * Fires when a minute's |z_ret| reaches `threshold`, like example_detector,
 * but with nothing between the plugin and the C ABI: the descriptor, the
 * function table, the row stride and struct_size checks are all written out.
 * It builds unchanged against the ABI 1.0, 1.1 and current headers. */
#include <strategy_host/abi.h>

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct detector {
  const sh_host_services *host; /* valid until destroy */
  double threshold;             /* standard deviations */
  uint32_t hits_counter;        /* reported as <component>.hits */
  char error[160];              /* last_error() */
} detector;

/* The host validated config_json against the schema below, so a number
 * follows "threshold" when the key is there; when it is not, the plugin
 * applies its default (the host passes the config as written). A real plugin
 * would use a JSON parser; the example keeps to the C library. */
static sh_status parse_config(detector *d, const char *config_json, double *threshold) {
  const char *p = config_json ? strstr(config_json, "\"threshold\"") : NULL;
  char *end = NULL;
  double t = 4.0;
  if (p != NULL) {
    p += strlen("\"threshold\"");
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':') ++p;
    t = strtod(p, &end);
    if (end == p) {
      snprintf(d->error, sizeof d->error, "threshold must be a number");
      return SH_ERR_CONFIG;
    }
  }
  if (!(t > 0)) {
    snprintf(d->error, sizeof d->error, "threshold must be > 0, got %g", t);
    return SH_ERR_CONFIG;
  }
  *threshold = t;
  return SH_OK;
}

static void *create(const sh_host_services *host, const char *config_json, sh_status *rc) {
  detector *d = (detector *)calloc(1, sizeof *d);
  if (d == NULL) {
    *rc = SH_ERR_INTERNAL;
    return NULL;
  }
  d->host = host;
  *rc = parse_config(d, config_json, &d->threshold);
  if (*rc == SH_OK) d->hits_counter = host->counter_register(host->host_ctx, "hits");
  return d; /* also on failure: the host reads last_error(), then destroys it */
}

static void destroy(void *instance) { free(instance); }

static const char *last_error(void *instance) { return ((detector *)instance)->error; }

/* All-or-nothing: the threshold changes only when the new config is good. */
static sh_status set_config(void *instance, const char *config_json) {
  detector *d = (detector *)instance;
  double t;
  const sh_status rc = parse_config(d, config_json, &t);
  if (rc == SH_OK) d->threshold = t;
  return rc;
}

static sh_status detect(void *instance, const sh_feature_batch *batch,
                        const sh_market_context *context, const sh_hit_sink *sink) {
  detector *d = (detector *)instance;
  const unsigned char *base = (const unsigned char *)batch->rows;
  sh_detector_hit hits[64];
  uint32_t n = 0, i;
  (void)context;
  for (i = 0; i < batch->count; ++i) {
    /* Rows are read at the host's stride, and a field only when the row holds it. */
    const sh_feature_row *row = (const sh_feature_row *)(base + (size_t)i * batch->row_size);
    double z;
    if (row->struct_size < offsetof(sh_feature_row, z_ret) + sizeof row->z_ret) continue;
    z = row->z_ret;
    if (isnan(z) || fabs(z) < d->threshold) continue; /* NaN = null: not warm yet */
    memset(&hits[n], 0, sizeof hits[n]);
    hits[n].struct_size = sizeof(sh_detector_hit);
    hits[n].symbol = row->symbol;
    hits[n].minute_ts_ns = row->minute_ts_ns;
    hits[n].score = fmin(100.0, 50.0 * fabs(z) / d->threshold); /* 0..100 */
    hits[n].hit_class = "example_c_z_ret";                       /* the host copies it */
    hits[n].value = z;
    hits[n].threshold = d->threshold;
    if (++n == sizeof hits / sizeof hits[0]) { /* emit in chunks of 64 */
      const sh_status rc = sink->emit(sink->sink_ctx, hits, n, sizeof(sh_detector_hit));
      if (rc != SH_OK) return rc;
      d->host->counter_add(d->host->host_ctx, d->hits_counter, (int64_t)n);
      n = 0;
    }
  }
  if (n > 0) {
    const sh_status rc = sink->emit(sink->sink_ctx, hits, n, sizeof(sh_detector_hit));
    if (rc != SH_OK) return rc;
    d->host->counter_add(d->host->host_ctx, d->hits_counter, (int64_t)n);
  }
  return SH_OK;
}

static const sh_detector_api kDetectorApi = {sizeof(sh_detector_api), detect};

static const char kSchema[] =
    "{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"type\": \"object\","
    " \"properties\": {\"threshold\": {\"type\": \"number\", \"exclusiveMinimum\": 0,"
    " \"default\": 4.0}}, \"additionalProperties\": false}";

/* The descriptor: static, valid while the library is loaded. sizeof and
 * SH_ABI_MINOR come from the header the plugin is compiled against, so the
 * host knows which fields it may read; fields left out are NULL. */
static const sh_plugin_descriptor kDescriptor = {
    .struct_size = sizeof(sh_plugin_descriptor),
    .abi_major = SH_ABI_MAJOR,
    .abi_minor = SH_ABI_MINOR,
    .kind = SH_KIND_DETECTOR,
    .name = "example_detector_c", /* unique, [a-z0-9_]+ */
    .version = "0.1.0",
    .description = "Minimal detector in C: |z_ret| >= threshold",
    .config_schema = kSchema,
    .create = create,
    .destroy = destroy,
    .last_error = last_error,
    .set_config = set_config, /* NULL: the host makes a new instance instead */
    .detector = &kDetectorApi,
};

/* The one exported symbol (sh_add_plugin hides every other one). */
SH_PLUGIN_EXPORT const sh_plugin_descriptor *sh_plugin_entry(void) { return &kDescriptor; }
