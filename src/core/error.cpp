#include "core/error.hpp"

namespace golfops::core {

std::string_view to_string(Failure failure) {
  switch (failure) {
  case Failure::none:
    return "";
  case Failure::dns:
    return "dns";
  case Failure::connect:
    return "connect";
  case Failure::tls:
    return "tls";
  case Failure::timeout:
    return "timeout";
  case Failure::auth:
    return "auth";
  case Failure::refused:
    return "refused";
  case Failure::io:
    return "io";
  }
  return "";
}

void throw_usage(const std::string& message) {
  throw Error(ExitCode::usage, message);
}
void throw_failed(const std::string& message) {
  throw Error(ExitCode::failed, message);
}
void throw_unreachable(const std::string& message, Failure failure) {
  throw Error(ExitCode::unreachable, message, failure);
}
void throw_refused(const std::string& message) {
  throw Error(ExitCode::refused, message);
}

} // namespace golfops::core
