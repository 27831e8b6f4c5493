#pragma once

#include <chrono>
#include <string>

namespace golfops::core {

// "2026-11-25T13:32:51Z": UTC whatever TZ says (fmt 9 formats a
// system_clock time in local time, so never use "{:%FT%TZ}" directly).
std::string format_utc(std::chrono::system_clock::time_point time);

// The same with milliseconds: "2026-11-25T13:32:51.123Z".
std::string format_utc_milliseconds(std::chrono::system_clock::time_point time);

} // namespace golfops::core
