#pragma once

#include <chrono>
#include <functional>

namespace golfops::core {

// Runs `work` on a detached thread and waits until it finishes or `deadline`
// passes; returns whether it finished. For blocking library calls that have
// no timeout of their own (getaddrinfo, PQcancel): golfops keeps its
// deadline, the call may finish later on its own. `work` must own what it
// touches (capture by value or shared_ptr), since it can outlive the wait.
// With `cancellable`, SIGINT/SIGTERM end the wait by throwing Cancelled.
bool run_detached(std::function<void()> work,
                  std::chrono::steady_clock::time_point deadline,
                  bool cancellable);

} // namespace golfops::core
