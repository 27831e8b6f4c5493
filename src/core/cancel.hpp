#pragma once

#include "core/error.hpp"
#include "core/units.hpp"

#include <chrono>
#include <poll.h>
#include <vector>

namespace golfops::core {

// Thrown where a wait notices that SIGINT or SIGTERM arrived: unwinding
// stops children, removes temporary files and releases locks on the way to
// cli::main, which exits 130 (SIGINT) or 143 (SIGTERM).
class Cancelled : public Error {
public:
  explicit Cancelled(int signal);
  int signal() const { return m_signal; }

private:
  int m_signal;
};

// The process-wide cancellation token. cli::main routes SIGINT and SIGTERM
// to request(); every blocking wait in core (sockets, PostgreSQL, child
// processes, sleeps between retries) also polls fd(), so a signal ends the
// wait at once instead of after its timeout.
class Cancellation {
public:
  static Cancellation& process();

  // Async-signal-safe: records the signal and wakes every poll on fd().
  void request(int signal) noexcept;
  bool requested() const;
  int signal() const;
  // Readable once cancellation was requested.
  int fd() const { return m_pipe[0]; }
  // Throws Cancelled when requested.
  void check() const;
  // Sleeps, ending early (by throwing Cancelled) on cancellation.
  void sleep_for(Milliseconds duration) const;
  void sleep_until(std::chrono::steady_clock::time_point until) const;

  // Forgets a request (unit tests; golfops itself exits after one).
  void reset();

  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

private:
  Cancellation();
  int m_pipe[2] = {-1, -1};
};

// While one exists, waits on this thread ignore cancellation: a bounded
// cleanup after SIGINT (reporting what an interrupted statement left behind
// in the database) can still talk to the server. The caller bounds that
// work with its own deadline; a second signal does not cut it short.
class CancellationShield {
public:
  CancellationShield();
  ~CancellationShield();
  CancellationShield(const CancellationShield&) = delete;
  CancellationShield& operator=(const CancellationShield&) = delete;
};

// Routes SIGINT and SIGTERM to Cancellation::process() and ignores SIGPIPE
// (a closed pipe or socket becomes an EPIPE error where it happens, never a
// silent death). Called once by cli::main.
void install_signal_handlers();

// poll(2) on `fds` plus the cancellation pipe: returns poll's result for
// `fds` (0 on timeout, retrying EINTR), throws Cancelled when cancelled.
// timeout_ms < 0 waits without a bound.
int poll_cancellable(std::vector<pollfd>& fds, int timeout_ms);

// Milliseconds left until `deadline`, at least 0, for poll().
int milliseconds_until(std::chrono::steady_clock::time_point deadline);

} // namespace golfops::core
