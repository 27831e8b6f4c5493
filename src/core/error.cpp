#include "core/error.hpp"

namespace golfops::core {

void throw_usage(const std::string& message) {
  throw Error(ExitCode::usage, message);
}
void throw_failed(const std::string& message) {
  throw Error(ExitCode::failed, message);
}
void throw_unreachable(const std::string& message) {
  throw Error(ExitCode::unreachable, message);
}
void throw_refused(const std::string& message) {
  throw Error(ExitCode::refused, message);
}

} // namespace golfops::core
