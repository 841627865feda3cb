// reader_report.h: the reader thread's counters, on the IoReport the
// exchange providers share (plugins/exchange_common): the reader counts and
// logs there, poll() forwards both to the host.
#ifndef SH_REDIS_STREAM_READER_REPORT_H
#define SH_REDIS_STREAM_READER_REPORT_H

#include <exchange/io_report.h>

namespace redis_stream {

class IoReport : public exchange::IoReport {
 public:
  // Host counters, reported as `<instance>.<name>` (README.md, "Counters").
  enum Counter {
    kConnectAttempts, kConnections, kReconnects, kDisconnects, kConnectFailures, kGroupsCreated,
    kEntriesRead, kEventsEmitted, kMalformedEntries, kUnknownTypes, kFilteredEntries, kAcked,
    kCount
  };
  IoReport() : exchange::IoReport(kNames, kCount) {}

 private:
  static constexpr const char* kNames[kCount] = {
      "connect_attempts", "connections", "reconnects", "disconnects", "connect_failures",
      "groups_created", "entries_read", "events_emitted", "malformed_entries", "unknown_types",
      "filtered_entries", "acked"};
};

}  // namespace redis_stream

#endif
