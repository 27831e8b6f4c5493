#include "core/clock.hpp"

#include <ctime>
#include <fmt/format.h>

namespace golfops::core {
namespace {

std::tm utc_parts(std::chrono::system_clock::time_point time) {
  auto seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  return parts;
}

std::string format_parts(const std::tm& parts) {
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                     parts.tm_year + 1900,
                     parts.tm_mon + 1,
                     parts.tm_mday,
                     parts.tm_hour,
                     parts.tm_min,
                     parts.tm_sec);
}

} // namespace

std::string format_utc(std::chrono::system_clock::time_point time) {
  return format_parts(utc_parts(std::chrono::floor<std::chrono::seconds>(time))) + "Z";
}

std::string format_utc_milliseconds(std::chrono::system_clock::time_point time) {
  auto whole = std::chrono::floor<std::chrono::seconds>(time);
  auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(time - whole).count();
  return fmt::format("{}.{:03}Z", format_parts(utc_parts(whole)), milliseconds);
}

} // namespace golfops::core
