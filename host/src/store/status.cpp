#include "store/status.h"

namespace sh::host {

const char* status_code_name(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kIoError: return "I/O error";
    case Status::Code::kFull: return "full";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kRemoteError: return "remote error";
    case Status::Code::kFailedPrecondition: return "failed precondition";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

}  // namespace sh::host
