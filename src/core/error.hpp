#pragma once

#include <stdexcept>
#include <string>

namespace golfops::core {

// The exit codes every golfops command shares (DESIGN.md, "Exit codes").
enum class ExitCode : int {
  ok = 0,
  failed = 1,      // the operation ran and failed
  usage = 2,       // usage or configuration error
  unreachable = 3, // a dependency (database, Redis, HTTP target) is unreachable
  refused = 4,     // refused for safety (needs --yes, lock held, target not empty)
};

// The one error type: a one-line message and the exit code it maps to.
// Only cli::main catches it; client wrappers translate library errors into it.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}

  ExitCode code() const { return m_code; }

private:
  ExitCode m_code;
};

// Shorthands so call sites read as the category of failure.
[[noreturn]] void throw_usage(const std::string& message);
[[noreturn]] void throw_failed(const std::string& message);
[[noreturn]] void throw_unreachable(const std::string& message);
[[noreturn]] void throw_refused(const std::string& message);

} // namespace golfops::core
