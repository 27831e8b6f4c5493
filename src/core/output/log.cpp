#include "core/output/log.hpp"

#include "core/redact.hpp"

#include <chrono>
#include <fmt/chrono.h>
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

void Logger::log(Level level, std::string_view message) const {
  if (level == Level::debug && m_verbosity != Verbosity::verbose) {
    return;
  }
  if (level == Level::info && m_verbosity == Verbosity::quiet) {
    return;
  }
  auto clean = redact(message);
  std::string line;
  if (m_format == LogFormat::json) {
    auto now = std::chrono::system_clock::now();
    line = nlohmann::json{{"time", fmt::format("{:%FT%T}Z", now)},
                          {"level", level_name(level)},
                          {"message", clean}}
               .dump();
  } else {
    std::string_view colour_start;
    if (m_color) {
      colour_start = level == Level::error     ? "\033[31m"
                     : level == Level::warning ? "\033[33m"
                                               : "\033[2m";
    }
    line = fmt::format("golfops: {}{}{}: {}",
                       colour_start,
                       level_name(level),
                       colour_start.empty() ? "" : "\033[0m",
                       clean);
  }
  std::lock_guard lock(g_stream_mutex);
  m_stream << line << '\n' << std::flush;
}

} // namespace golfops::core::output
