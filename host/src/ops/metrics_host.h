// The host's own metric families (README "Operating the host" lists each):
// the run's counters, the book, the risk state, the components, the latency
// histograms, the CounterRegistry's counters, the HTTP server and the
// process. Written from a status snapshot on the HTTP thread.
#pragma once

#include "ops/http_server.h"
#include "ops/metrics_registry.h"
#include "services/counters.h"

namespace sh::host {

// The families from the snapshot (run, book, risk, components, latency).
void write_status_metrics(const StatusSnapshot& s, MetricsWriter& w);
// Every CounterRegistry counter "<component>.<name>" as
// sh_plugin_<name>_total{component="<component>"} (sanitised; counters whose
// names sanitise to the same family and component are summed).
void write_counter_metrics(const CounterRegistry& counters, MetricsWriter& w);
// The server's connections and the process's resident memory.
void write_server_metrics(const HttpServerStats& stats, MetricsWriter& w);

}  // namespace sh::host
