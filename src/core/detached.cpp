#include "core/detached.hpp"

#include "core/cancel.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace golfops::core {

bool run_detached(std::function<void()> work,
                  std::chrono::steady_clock::time_point deadline,
                  bool cancellable) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
  };
  auto shared = std::make_shared<Shared>();
  std::thread([work = std::move(work), shared] {
    try {
      work();
    } catch (...) {
      // Nobody may be waiting any more: the outcome is "did not finish".
    }
    std::lock_guard lock(shared->mutex);
    shared->finished = true;
    shared->done.notify_all();
  }).detach();
  std::unique_lock lock(shared->mutex);
  while (!shared->finished) {
    if (cancellable) {
      Cancellation::process().check();
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    // Short slices so a signal is noticed promptly.
    shared->done.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
  return true;
}

} // namespace golfops::core
