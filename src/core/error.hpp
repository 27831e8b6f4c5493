#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace golfops::core {

// The exit codes every golfops command shares (DESIGN.md, "Exit codes").
enum class ExitCode : int {
  ok = 0,
  failed = 1,        // the operation ran and failed
  usage = 2,         // usage or configuration error
  unreachable = 3,   // a dependency (database, Redis, HTTP target) is unreachable
  refused = 4,       // refused for safety (needs --yes, lock held, target not empty)
  interrupted = 130, // SIGINT (128 + 2), as shells report it
  terminated = 143,  // SIGTERM (128 + 15)
};

// Why a dependency could not be used, as the client that saw it knows it:
// never recovered from message text (which a locale or a library update
// changes).
enum class Failure {
  none,
  dns,     // the name did not resolve
  connect, // no connection (refused, unreachable network)
  tls,     // the TLS handshake or certificate check failed
  timeout, // the deadline passed
  auth,    // the server rejected the credentials
  refused, // the server answered but would not serve us (starting up, no such database)
  io,      // the connection broke mid-exchange
};

// "dns", "connect", ...; "" for none.
std::string_view to_string(Failure failure);

// The one error type: a message (one line, or a few where the extra lines
// show a source line and caret) and the exit code it maps to, with the typed
// reason when a dependency failed and structured fields (file, line, column,
// sqlstate) for JSON logs. Only cli::main catches it; client wrappers
// translate library errors into it.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message, Failure failure = Failure::none)
      : std::runtime_error(message), m_code(code), m_failure(failure) {}

  ExitCode code() const { return m_code; }
  Failure failure() const { return m_failure; }

  // Structured fields a JSON log record carries beside the message.
  std::map<std::string, std::string> fields;

private:
  ExitCode m_code;
  Failure m_failure;
};

// Shorthands so call sites read as the category of failure.
[[noreturn]] void throw_usage(const std::string& message);
[[noreturn]] void throw_failed(const std::string& message);
[[noreturn]] void throw_unreachable(const std::string& message, Failure failure);
[[noreturn]] void throw_refused(const std::string& message);

} // namespace golfops::core
