#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace golfops::core {

using Milliseconds = std::chrono::milliseconds;

// Parses a duration such as "250ms", "5s", "5m", "1h30m", "1.5s" or "0".
// A bare number other than 0 is refused: the unit is never guessed.
// Throws Error(usage) naming `field` and the value.
Milliseconds parse_duration(std::string_view text, std::string_view field = "duration");

// Formats a duration compactly: 250ms, 5s, 1m30s, 1h30m.
std::string format_duration(Milliseconds duration);

// Parses a size such as "512", "10KB", "1.5GiB", "20MiB" (SI and IEC units, B optional).
std::uint64_t parse_size(std::string_view text, std::string_view field = "size");

// Parses a whole number of at least `minimum` ("3"; no sign, no unit).
// Throws Error(usage) naming `field`, the value and what is allowed.
std::uint64_t parse_count(std::string_view text, std::string_view field, std::uint64_t minimum = 1);

// Formats a byte count with IEC units: 512 B, 1.5 KiB, 20.0 MiB.
std::string format_size(std::uint64_t bytes);

} // namespace golfops::core
