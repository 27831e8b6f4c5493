#include "core/output/log.hpp"

#include "core/clock.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

namespace golfops::core::output {
namespace {

std::string_view level_name(Level level) {
  switch (level) {
  case Level::debug:
    return "debug";
  case Level::info:
    return "info";
  case Level::warning:
    return "warning";
  case Level::error:
    return "error";
  }
  return "info";
}

std::mutex g_stream_mutex;

} // namespace

Logger::Logger(std::ostream& stream, LogFormat format, Verbosity verbosity, bool color)
    : m_stream(stream), m_format(format), m_verbosity(verbosity), m_color(color) {}

void Logger::log(Level level, std::string_view message, const Fields& fields) const {
  if (level == Level::debug && m_verbosity != Verbosity::verbose) {
    return;
  }
  if (level == Level::info && m_verbosity == Verbosity::quiet) {
    return;
  }
  auto clean = redact(message);
  std::string line;
  if (m_format == LogFormat::json) {
    nlohmann::json record{{"time", format_utc_milliseconds(std::chrono::system_clock::now())},
                          {"level", level_name(level)},
                          {"message", clean}};
    for (const auto& [key, value] : fields) {
      record[key] = redact(value);
    }
    line = record.dump();
  } else {
    std::string_view colour_start;
    if (m_color) {
      colour_start = level == Level::error     ? "\033[31m"
                     : level == Level::warning ? "\033[33m"
                                               : "\033[2m";
    }
    // Text: one prefixed line per line of the message (a source line and
    // its caret stay readable under the prefix).
    for (const auto& part : split(clean, '\n')) {
      if (part.empty()) {
        continue;
      }
      line += fmt::format("{}golfops: {}{}{}: {}",
                          line.empty() ? "" : "\n",
                          colour_start,
                          level_name(level),
                          colour_start.empty() ? "" : "\033[0m",
                          part);
    }
  }
  std::lock_guard lock(g_stream_mutex);
  m_stream << line << '\n' << std::flush;
}

} // namespace golfops::core::output
