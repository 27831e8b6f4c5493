#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/load/plan.hpp"
#include "core/load/wire.hpp"
#include "core/load/worker.hpp"

#include <algorithm>
#include <atomic>
#include <fmt/format.h>
#include <latch>
#include <mutex>
#include <sys/resource.h>
#include <thread>

namespace golfops::core::load {
namespace {

// Each connection is a file descriptor; the soft limit (often 1024) is
// raised to the hard one so `-c 5000` works without a ulimit ritual.
void allow_connections(int connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return;
  }
  auto needed = static_cast<rlim_t>(connections) + 64;
  if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min(limit.rlim_max, std::max(needed, limit.rlim_cur));
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// One connection made the ordinary way first: a target that cannot be
// reached ends the run before it starts, with the reason (exit 3), and
// the address found is the one every worker connects to.
net::Address reachable_address(const Plan& plan) {
  auto deadline = net::deadline_after(plan.connect_timeout);
  net::TlsOptions tls;
  tls.enabled = plan.origin.tls && !plan.origin.insecure;
  tls.ca_file = plan.origin.ca_file;
  net::Stream probe(plan.origin.host, plan.origin.port, tls, deadline);
  auto peer = probe.peer_ip();
  auto addresses = net::resolve(plan.origin.host, plan.origin.port, deadline);
  auto found = std::find_if(addresses.begin(), addresses.end(), [&](const net::Address& address) {
    return address.text == peer;
  });
  return found != addresses.end() ? *found : addresses.front();
}

std::shared_ptr<ssl_ctx_st> tls_context(const Plan& plan) {
  if (!plan.origin.tls) {
    return nullptr;
  }
  return net::client_tls_context(plan.origin.ca_file);
}

void add_reasons(Result& result, const Plan& plan) {
  // Under a second, CPU time says little (start-up and the first
  // connections dominate).
  if (result.busiest_thread >= 0.95 && result.seconds >= 1) {
    result.invalid.push_back(fmt::format(
        "golfops was busy {:.0f}% of the run on its busiest thread: the figures may show "
        "golfops' limit rather than the server's; add --threads (the machine has {} cores) or "
        "run on more machines and merge",
        result.busiest_thread * 100,
        std::thread::hardware_concurrency()));
  }
  if (plan.schedule && result.send_lag.count() > 0) {
    // Each late request's latency includes its lateness (it counts from
    // the due time). Up to a fifth of p99 (and a millisecond, timer and
    // scheduler noise) the figures still say what the server did;
    // beyond, they say what golfops did.
    auto lag = result.send_lag.percentile(0.99);
    auto allowed = std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(1),
                                                      result.total.latency.percentile(0.99) / 5);
    auto lag_ms = static_cast<double>(lag.count()) / 1e6;
    if (lag > allowed) {
      result.invalid.push_back(fmt::format(
          "golfops sent 1% of its requests {:.2f} ms or more after they were due (allowed: "
          "{:.2f} ms, the larger of 1 ms and a fifth of p99): it fell behind its own schedule; "
          "lower --rate, add --threads or run on more machines",
          lag_ms,
          static_cast<double>(allowed.count()) / 1e6));
    } else if (lag > std::chrono::milliseconds(1)) {
      result.warnings.push_back(fmt::format(
          "golfops sent 1% of its requests {:.2f} ms or more after they were due (a busy "
          "machine?): their latency includes that much of golfops' own delay",
          lag_ms));
    }
  }
}

} // namespace

Result run(const Plan& plan, const std::function<void(const Progress&)>& progress) {
  allow_connections(plan.connections);
  Shared shared;
  shared.plan = &plan;
  for (std::size_t index = 0; index < plan.requests.size(); ++index) {
    const auto& spec = plan.requests[index];
    shared.requests.push_back({&spec,
                               index,
                               encode_request(spec, plan.origin, plan.user_agent, plan.keepalive),
                               spec.method == "HEAD"});
  }
  shared.address = reachable_address(plan);
  shared.tls = tls_context(plan);

  auto threads = static_cast<std::size_t>(std::clamp(plan.threads, 1, plan.connections));
  shared.threads = static_cast<int>(threads); // workers stride the schedule by it
  std::vector<Live> live(threads);
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t index = 0; index < threads; ++index) {
    // Connections split as evenly as they go.
    auto share = plan.connections / static_cast<int>(threads) +
                 (static_cast<int>(index) < plan.connections % static_cast<int>(threads) ? 1 : 0);
    workers.push_back(
        std::make_unique<Worker>(shared, static_cast<int>(index), share, live[index]));
  }

  std::latch connected(static_cast<std::ptrdiff_t>(threads) + 1);
  std::latch go(1);
  std::mutex failure_lock;
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  std::vector<std::thread> running;
  auto connect_deadline = Clock::now() + plan.connect_timeout;
  for (std::size_t index = 0; index < threads; ++index) {
    running.emplace_back([&, index] {
      auto& worker = *workers[index];
      auto record = [&] {
        std::lock_guard guard(failure_lock);
        failure = failure ? failure : std::current_exception();
        failed = true;
        shared.stop = true;
      };
      try {
        worker.connect(connect_deadline);
      } catch (...) {
        record();
      }
      connected.count_down();
      go.wait();
      try {
        if (!failed) {
          worker.run();
        }
      } catch (...) {
        record();
      }
      live[index].finished = true;
    });
  }
  connected.arrive_and_wait();
  shared.start = Clock::now();
  shared.start_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  go.count_down();

  bool interrupted = false;
  auto next_progress = shared.start + std::chrono::seconds(1);
  while (
      !std::all_of(live.begin(), live.end(), [](const Live& one) { return one.finished.load(); })) {
    try {
      // Short naps: a run that ends early is not held to the next second.
      Cancellation::process().sleep_for(std::chrono::milliseconds(20));
    } catch (const Cancelled&) {
      interrupted = true;
      shared.stop = true;
    }
    if (Clock::now() < next_progress && !interrupted) {
      continue;
    }
    next_progress += std::chrono::seconds(1);
    Progress now;
    now.elapsed = Clock::now() - shared.start;
    for (const auto& one : live) {
      now.requests += one.requests.load(std::memory_order_relaxed);
      now.errors += one.errors.load(std::memory_order_relaxed);
    }
    if (progress && !interrupted) {
      progress(now);
    }
  }
  for (auto& thread : running) {
    thread.join();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }

  Result result;
  result.target = plan.display;
  result.model = plan.schedule ? "open" : "closed";
  result.connections = plan.connections;
  result.threads = static_cast<int>(threads);
  if (plan.schedule) {
    result.rate = plan.schedule->peak_rate();
  }
  result.start_unix_ms = shared.start_unix_ms;
  result.interrupted = interrupted;
  result.by_request.reserve(plan.requests.size());
  for (const auto& spec : plan.requests) {
    result.by_request.emplace_back(spec.name, Tally{});
  }
  auto last = shared.start;
  std::map<std::int64_t, Second> seconds;
  for (auto& worker : workers) {
    auto part = worker->take_result();
    for (std::size_t index = 0; index < part.by_request.size(); ++index) {
      result.by_request[index].second.merge(part.by_request[index]);
    }
    result.retry_after.merge(part.retry_after);
    result.send_lag.merge(part.send_lag);
    result.queued += part.queued;
    result.max_queue_ns = std::max(result.max_queue_ns, part.max_queue_ns);
    result.unsent += part.unsent;
    result.busiest_thread = std::max(result.busiest_thread, part.busy);
    last = std::max(last, part.last_answer);
    merge_timelines(result.timeline, part.timeline);
  }
  for (const auto& [name, tally] : result.by_request) {
    result.total.merge(tally);
  }
  if (plan.requests.size() == 1) {
    result.by_request.clear(); // one request: the totals say it all
  }
  result.seconds = std::chrono::duration<double>(last - shared.start).count();
  add_reasons(result, plan);
  return result;
}

} // namespace golfops::core::load
