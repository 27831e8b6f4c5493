#include "core/checks/wait.hpp"

#include "core/cancel.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <chrono>

namespace golfops::core::checks {

WaitOutcome wait_until(const WaitOptions& options,
                       const std::function<bool()>& poll,
                       const std::function<void(int attempts)>& waiting) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto deadline = start + options.timeout;
  auto interval = std::max(options.interval, Milliseconds(10));
  auto pause = interval;
  WaitOutcome outcome;
  auto attempt = [&] {
    ++outcome.attempts;
    outcome.ready = poll();
  };
  attempt();
  while (!outcome.ready && Clock::now() < deadline) {
    if (waiting) {
      waiting(outcome.attempts);
    }
    Cancellation::process().sleep_until(std::min(Clock::now() + pause, deadline));
    pause = std::min(pause + pause / 2, interval * 4);
    attempt();
  }
  outcome.waited_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return outcome;
}

} // namespace golfops::core::checks
