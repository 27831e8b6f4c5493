#pragma once

#include "core/units.hpp"

#include <functional>

namespace golfops::core::checks {

struct WaitOptions {
  Milliseconds timeout{120000};
  Milliseconds interval{2000}; // first pause; grows by half up to 4x
};

struct WaitOutcome {
  int attempts = 0;
  bool ready = false;
  double waited_ms = 0;
};

// Calls `poll` until it returns true or the timeout ends, pausing between
// attempts with a growing interval; the last attempt lands on the deadline
// rather than past it. `waiting` runs before each pause (progress). Ends
// early by throwing Cancelled on SIGINT/SIGTERM. Callers refuse an interval
// that would spin (the flag is theirs to name); under 10 ms is taken as 10.
WaitOutcome wait_until(const WaitOptions& options,
                       const std::function<bool()>& poll,
                       const std::function<void(int attempts)>& waiting = {});

} // namespace golfops::core::checks
