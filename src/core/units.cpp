#include "core/units.hpp"

#include "core/error.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace golfops::core {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

// Reads a non-negative decimal number ("1", "1.5", ".5") from the front of `text`.
bool take_number(std::string_view& text, double& value) {
  std::size_t length = 0;
  bool digits = false;
  while (length < text.size() &&
         ((text[length] >= '0' && text[length] <= '9') || text[length] == '.')) {
    digits = digits || text[length] != '.';
    ++length;
  }
  if (!digits) {
    return false;
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + length, value);
  if (error != std::errc() || end != text.data() + length) {
    return false;
  }
  text.remove_prefix(length);
  return true;
}

std::string_view take_unit(std::string_view& text) {
  std::size_t length = 0;
  while (length < text.size() && std::isalpha(static_cast<unsigned char>(text[length]))) {
    ++length;
  }
  auto unit = text.substr(0, length);
  text.remove_prefix(length);
  return unit;
}

constexpr std::array k_duration_units{Unit{"ms", 1.0},
                                      Unit{"s", 1000.0},
                                      Unit{"m", 60'000.0},
                                      Unit{"h", 3'600'000.0},
                                      Unit{"d", 86'400'000.0}};

constexpr std::array k_size_units{Unit{"", 1.0},
                                  Unit{"B", 1.0},
                                  Unit{"K", 1e3},
                                  Unit{"KB", 1e3},
                                  Unit{"M", 1e6},
                                  Unit{"MB", 1e6},
                                  Unit{"G", 1e9},
                                  Unit{"GB", 1e9},
                                  Unit{"T", 1e12},
                                  Unit{"TB", 1e12},
                                  Unit{"KiB", 1024.0},
                                  Unit{"MiB", 1048576.0},
                                  Unit{"GiB", 1073741824.0},
                                  Unit{"TiB", 1099511627776.0}};

[[noreturn]] void invalid_duration(std::string_view field, std::string_view text) {
  throw_usage(
      fmt::format("{}: invalid duration '{}' (expected e.g. 250ms, 5s, 5m, 1h30m)", field, text));
}

[[noreturn]] void invalid_size(std::string_view field, std::string_view text) {
  throw_usage(fmt::format("{}: invalid size '{}' (expected e.g. 512, 10MB, 1.5GiB)", field, text));
}

} // namespace

Milliseconds parse_duration(std::string_view text, std::string_view field) {
  auto invalid = [&]() { invalid_duration(field, text); };
  if (text == "0") {
    return Milliseconds(0);
  }
  std::string_view rest = text;
  double total = 0;
  if (rest.empty()) {
    invalid();
  }
  while (!rest.empty()) {
    double value = 0;
    if (!take_number(rest, value)) {
      invalid();
    }
    auto suffix = take_unit(rest);
    bool known = false;
    for (const auto& unit : k_duration_units) {
      if (unit.suffix == suffix) {
        total += value * unit.factor;
        known = true;
      }
    }
    if (!known) {
      invalid();
    }
  }
  if (total > 1e15) {
    invalid();
  }
  return Milliseconds(static_cast<std::int64_t>(std::llround(total)));
}

std::string format_duration(Milliseconds duration) {
  auto ms = duration.count();
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  if (ms % 1000 != 0 && ms < 60'000) {
    return fmt::format("{:g}s", static_cast<double>(ms) / 1000.0);
  }
  auto seconds = ms / 1000;
  std::string out;
  if (seconds >= 3600) {
    out += fmt::format("{}h", seconds / 3600);
    seconds %= 3600;
  }
  if (seconds >= 60) {
    out += fmt::format("{}m", seconds / 60);
    seconds %= 60;
  }
  if (seconds > 0) {
    out += fmt::format("{}s", seconds);
  }
  return out;
}

std::uint64_t parse_size(std::string_view text, std::string_view field) {
  auto invalid = [&]() { invalid_size(field, text); };
  std::string_view rest = text;
  double value = 0;
  if (!take_number(rest, value)) {
    invalid();
  }
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  auto suffix = take_unit(rest);
  if (!rest.empty()) {
    invalid();
  }
  for (const auto& unit : k_size_units) {
    if (unit.suffix == suffix) {
      double bytes = value * unit.factor;
      if (bytes > 1.8e19) {
        invalid();
      }
      return static_cast<std::uint64_t>(std::llround(bytes));
    }
  }
  invalid_size(field, text);
}

std::uint64_t parse_count(std::string_view text, std::string_view field, std::uint64_t minimum) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  // For an unsigned type from_chars takes neither sign nor blanks, so "-1"
  // cannot wrap around to a huge count; units and overflow are refused too.
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < minimum) {
    throw_usage(fmt::format(
        "{}: '{}' is not a count (expected a whole number of at least {})", field, text, minimum));
  }
  return value;
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::array k_names{"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes);
  std::size_t index = 0;
  value /= 1024.0;
  while (value >= 1024.0 && index + 1 < k_names.size()) {
    value /= 1024.0;
    ++index;
  }
  return fmt::format("{:.1f} {}", value, k_names[index]);
}

} // namespace golfops::core
