// EventSink: where published events go (JSONL files, Redis streams, ...).
// The pipeline calls write() for each event of a minute, then flush() once
// at the end of the minute; a sink may buffer until flush(). Errors are
// values naming the destination (path, host:port). Not thread-safe.
#ifndef SH_HOST_EVENTS_EVENT_SINK_H
#define SH_HOST_EVENTS_EVENT_SINK_H

#include "events/event_record.h"
#include "store/status.h"

namespace sh::host {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Accepts one event. May only buffer it; the bytes are final (and fed to
  // the output digest) once write() returns ok.
  virtual Status write(const EventRecord& record) = 0;
  // Pushes everything accepted so far to the destination. On error the
  // unsent data stays buffered and a later flush() retries it.
  virtual Status flush() = 0;
};

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_EVENT_SINK_H
