// OutputDigest: an incremental SHA-256 fingerprint of everything the host
// writes (event lines, snapshot rows, ...), printed at the end of a run so
// that two replays of the same input can be compared with one string.
//
// Each named stream is hashed on its own (SHA-256 over its bytes, in the order
// they were added), so the result does not depend on how writes to different
// streams interleave, nor on how one stream's bytes were split into add()
// calls. The combined digest is SHA-256 over, for each stream in byte order of
// its name:  name '\0' decimal-byte-count '\0' raw-32-byte-stream-digest.
// Stream names must be logical ("events", "features_snapshot"), never paths
// that differ between runs.
//
// Threads: add() may be called from two threads at once for different
// streams (the pipeline thread's feeds, the minute writer's
// features_snapshot); one stream is fed by one thread at a time.
// hex_digest() and streams() run when no add() does (the end of a run).
// OpenSSL failures here can only mean memory exhaustion and abort the
// process.
#ifndef SH_HOST_EVENTS_OUTPUT_DIGEST_H
#define SH_HOST_EVENTS_OUTPUT_DIGEST_H

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sh::host {

class OutputDigest {
 public:
  OutputDigest();
  ~OutputDigest();
  OutputDigest(const OutputDigest&) = delete;
  OutputDigest& operator=(const OutputDigest&) = delete;

  // Appends bytes to the named stream (created on first use).
  void add(std::string_view stream_name, std::string_view bytes);

  // Lowercase hex SHA-256 of all streams so far (see above); the digest of
  // no streams at all is SHA-256 of the empty string. Does not end the
  // digest: more add() calls may follow.
  std::string hex_digest() const;

  struct StreamInfo {
    std::string name;
    uint64_t bytes = 0;
    std::string hex_digest;  // SHA-256 of this stream's bytes
  };
  // Per-stream figures sorted by name: shows which output diverged.
  std::vector<StreamInfo> streams() const;

 private:
  struct Stream;
  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams_;
  std::mutex map_mu_;  // add()'s lookup and insertion
};

// Lowercase hex SHA-256 of `bytes` (one-shot helper).
std::string sha256_hex(std::string_view bytes);

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_OUTPUT_DIGEST_H
