// Status: the error value returned on hot paths of the host (state store,
// event sinks, Redis). Modelled on leveldb::Status: cheap when ok, carries a
// code and a human-readable message that names the resource (a path, a
// host:port) and the reason, ready to be logged or shown to an operator.
#ifndef SH_HOST_STORE_STATUS_H
#define SH_HOST_STORE_STATUS_H

#include <string>
#include <utility>

namespace sh::host {

class Status {
 public:
  // Codes let callers branch on the kind of failure; the message is for people.
  enum class Code {
    kOk = 0,
    kNotFound,         // a key / record that was asked for does not exist
    kInvalidArgument,  // the caller passed something malformed
    kIoError,          // the OS refused (open, write, fsync, ENOSPC, ...)
    kFull,             // a fixed capacity is exhausted (LMDB map full, disk full)
    kCorruption,       // stored data could not be decoded
    kUnavailable,      // a remote service (Redis) cannot be reached
    kRemoteError,      // a remote service answered with an error
    kFailedPrecondition  // the object is not in a state that allows the call
  };

  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Full(std::string msg) { return Status(Code::kFull, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status RemoteError(std::string msg) { return Status(Code::kRemoteError, std::move(msg)); }
  static Status FailedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  bool is_not_found() const { return code_ == Code::kNotFound; }
  bool is_full() const { return code_ == Code::kFull; }
  Code code() const { return code_; }
  // "" when ok.
  const std::string& message() const { return message_; }
  // "ok", or "<code name>: <message>", for logs.
  std::string to_string() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

const char* status_code_name(Status::Code code);

}  // namespace sh::host

#endif  // SH_HOST_STORE_STATUS_H
