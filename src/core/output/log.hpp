#pragma once

#include <fmt/format.h>
#include <map>
#include <ostream>
#include <string>
#include <string_view>

namespace golfops::core::output {

enum class LogFormat { text, json };
enum class Verbosity { quiet, normal, verbose };
enum class Level { debug, info, warning, error };

// Diagnostics on stderr: `golfops: warning: ...` lines or one JSON object per
// event (--log-format json): a multi-line message stays one record, and
// structured fields (file, line, column, sqlstate) are keys of it. Every
// message and field passes through redact().
class Logger {
public:
  Logger(std::ostream& stream, LogFormat format, Verbosity verbosity, bool color);

  using Fields = std::map<std::string, std::string>;

  void log(Level level, std::string_view message, const Fields& fields = {}) const;
  void debug(std::string_view message) const { log(Level::debug, message); }
  void info(std::string_view message) const { log(Level::info, message); }
  void warning(std::string_view message) const { log(Level::warning, message); }
  void error(std::string_view message) const { log(Level::error, message); }

  bool verbose() const { return m_verbosity == Verbosity::verbose; }

private:
  std::ostream& m_stream;
  LogFormat m_format;
  Verbosity m_verbosity;
  bool m_color;
};

} // namespace golfops::core::output
