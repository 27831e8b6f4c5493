#include "commands/limits/scripts.hpp"
#include "commands/limits/session.hpp"
#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/histogram.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <fmt/format.h>
#include <latch>
#include <mutex>
#include <sys/epoll.h>
#include <thread>

namespace golfops::commands::limits {
namespace {

// The rule bench checks against: its own name, so its buckets never mix
// with a real rule's.
Rule bench_rule(const LimitsOptions& options) {
  Rule rule;
  rule.name = "golfops-bench";
  rule.scope = Scope::ip;
  // By default nothing is denied, within what each algorithm allows:
  // sliding_log keeps an entry per request (10000 at most), gcra spaces
  // requests a microsecond apart at least.
  auto algorithm = options.algorithm.value_or(Algorithm::fixed_window);
  rule.rate = options.bench.rate.value_or(algorithm == Algorithm::sliding_log ? Rate{10000, 60000}
                                          : algorithm == Algorithm::gcra ? Rate{60000000, 60000}
                                                                         : Rate{1000000000, 60000});
  rule.algorithm = options.algorithm.value_or(Algorithm::fixed_window);
  rule.burst = options.bench.burst;
  return rule;
}

std::string bucket_value(int index) {
  return fmt::format("bench-{}", index);
}

void clear_buckets(core::redis::Router& redis, const LimitsOptions& options, const Rule& rule) {
  for (int index = 0; index < options.bench.buckets; ++index) {
    auto keys = bucket_keys(options.key_prefix, rule, bucket_value(index));
    redis.command(keys.state, {"UNLINK", keys.state, keys.stats, keys.violations});
  }
}

// One connection's check in flight.
struct Connection {
  std::unique_ptr<core::redis::Router> router;
  core::redis::Client* connection = nullptr;
  const std::vector<std::string>* bucket = nullptr;
  std::chrono::steady_clock::time_point started;
  int watched = -1; // the fd epoll watches for it
};

// What one thread measured.
struct Worker {
  core::Histogram latencies;
  std::int64_t allowed = 0;
  std::int64_t denied = 0;
  std::uint64_t redirections = 0;
};

} // namespace

BenchResult run_bench(const LimitsOptions& options, core::Context& context) {
  auto rule = bench_rule(options);
  if (rule.burst > 0 && rule.algorithm != Algorithm::gcra) {
    core::throw_usage(fmt::format("--burst: {} with algorithm {} (a burst is for gcra: add "
                                  "--algorithm gcra)",
                                  rule.burst,
                                  algorithm_name(rule.algorithm)));
  }
  const auto& script = script_for(rule.algorithm);
  auto settings = core::redis::settings_from(context.config);
  {
    // Fresh buckets, and the script cached so no worker pays for EVAL.
    core::redis::Router redis(settings);
    clear_buckets(redis, options, rule);
    for (auto* node : redis.masters()) {
      node->command({"SCRIPT", "LOAD", script.source});
    }
  }

  auto arguments = script_arguments(rule, 1);
  std::vector<std::vector<std::string>> keys(static_cast<std::size_t>(options.bench.buckets));
  // Each bucket's EVALSHA encoded once, as redis-benchmark does.
  std::vector<std::string> requests(keys.size());
  for (std::size_t index = 0; index < keys.size(); ++index) {
    auto bucket = bucket_keys(options.key_prefix, rule, bucket_value(static_cast<int>(index)));
    keys[index] = {bucket.state, bucket.stats, bucket.violations};
    requests[index] = core::redis::encode_commands(
        {core::redis::eval_command(true, script, keys[index], arguments)});
  }

  // Like redis-benchmark: each connection has one check in flight, and a
  // thread drives many connections with poll(), so the latency measured is
  // Redis' and the network's, not the scheduler's. Threads: half the cores
  // (Redis needs the rest when it runs on this host).
  auto concurrency = static_cast<std::size_t>(options.bench.concurrency);
  auto thread_count =
      std::clamp<std::size_t>(std::thread::hardware_concurrency() / 2, 1, concurrency);
  std::vector<Worker> workers(thread_count);
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> stop{false};
  std::latch connected(static_cast<std::ptrdiff_t>(thread_count) + 1);
  std::latch go(1);
  std::mutex failure_lock;
  std::exception_ptr failure;
  std::chrono::steady_clock::time_point end_at;
  auto fail = [&] {
    std::lock_guard guard(failure_lock);
    failure = failure ? failure : std::current_exception();
    stop = true;
  };

  auto work = [&](Worker& worker, std::size_t connections) {
    std::vector<Connection> clients(connections);
    try {
      for (auto& client : clients) {
        client.router = std::make_unique<core::redis::Router>(settings);
      }
    } catch (...) {
      fail();
    }
    connected.count_down();
    go.wait();
    auto issue = [&](Connection& client) {
      if (stop.load(std::memory_order_relaxed)) {
        return false;
      }
      auto index = next.fetch_add(1, std::memory_order_relaxed);
      client.started = std::chrono::steady_clock::now();
      if (index >= options.bench.requests ||
          (options.bench.duration.count() > 0 && client.started >= end_at)) {
        return false;
      }
      auto bucket = static_cast<std::size_t>(index % options.bench.buckets);
      client.bucket = &keys[bucket];
      client.connection = &client.router->node_for(client.bucket->front());
      client.connection->send_encoded(requests[bucket], 1);
      return true;
    };
    try {
      // epoll, not poll: the cost of a wait grows with the connections
      // ready, not with all of them.
      core::UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
      if (epoll.get() < 0) {
        core::throw_failed("limits bench: epoll_create1 failed");
      }
      std::size_t active = 0;
      // Watches the connection a check was sent on (a cluster bucket may
      // live on another node than the last one's); forgets it when done.
      auto watch = [&](Connection& client, bool sent) {
        int fd = sent ? client.connection->fd() : -1;
        if (fd == client.watched) {
          return;
        }
        if (client.watched >= 0) {
          ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, client.watched, nullptr);
          --active;
        }
        client.watched = fd;
        if (fd >= 0) {
          epoll_event event{};
          event.events = EPOLLIN;
          event.data.ptr = &client;
          if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
            core::throw_failed("limits bench: epoll_ctl failed");
          }
          ++active;
        }
      };
      for (auto& client : clients) {
        if (client.router) {
          watch(client, issue(client));
        }
      }
      std::array<epoll_event, 256> events{};
      while (active > 0) {
        int ready = ::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), 1000);
        if (ready < 0 && errno != EINTR) {
          core::throw_failed("limits bench: epoll_wait failed");
        }
        if (context.cancel.requested()) {
          break; // the checks in flight are dropped with their connections
        }
        if (ready == 0) {
          // A quiet second: a check past the command timeout means Redis
          // stopped answering.
          auto now = std::chrono::steady_clock::now();
          for (const auto& client : clients) {
            if (client.watched >= 0 && now - client.started > settings.command_timeout) {
              core::throw_unreachable(fmt::format("Redis at {}: no reply within {}",
                                                  client.connection->address(),
                                                  core::format_duration(settings.command_timeout)),
                                      core::Failure::timeout);
            }
          }
        }
        for (int index = 0; index < ready; ++index) {
          auto& client =
              *static_cast<Connection*>(events[static_cast<std::size_t>(index)].data.ptr);
          auto replies = client.connection->receive();
          if (replies.empty()) {
            continue;
          }
          // MOVED, ASK, NOSCRIPT, TRYAGAIN: once more through the router,
          // which follows them (and counts the redirection).
          auto decision =
              replies.front().is_error()
                  ? decision_from(client.router->eval(script, *client.bucket, arguments))
                  : decision_from(replies.front());
          worker.latencies.record(std::chrono::steady_clock::now() - client.started);
          (decision.allowed ? worker.allowed : worker.denied) += 1;
          watch(client, issue(client));
        }
      }
    } catch (...) {
      fail();
    }
    for (const auto& client : clients) {
      worker.redirections += client.router ? client.router->redirections() : 0;
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(thread_count);
  for (std::size_t index = 0; index < thread_count; ++index) {
    // Connections split as evenly as they go.
    auto share = concurrency / thread_count + (index < concurrency % thread_count ? 1 : 0);
    threads.emplace_back(work, std::ref(workers[index]), share);
  }
  connected.arrive_and_wait();
  auto started = std::chrono::steady_clock::now();
  end_at = started + options.bench.duration;
  go.count_down();
  // SIGINT stops the workers after their checks in flight.
  while (!stop) {
    if (next.load() >= options.bench.requests ||
        (options.bench.duration.count() > 0 && std::chrono::steady_clock::now() >= end_at)) {
      break;
    }
    if (context.cancel.requested()) {
      stop = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& thread : threads) {
    thread.join();
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  if (context.cancel.requested() && !options.bench.keep) {
    // Interrupted: the buckets go all the same (a bounded cleanup the
    // signal does not cut short), then the interruption is reported.
    core::CancellationShield shield;
    core::redis::Router redis(settings);
    clear_buckets(redis, options, rule);
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
  context.cancel.check();

  BenchResult result;
  result.algorithm = rule.algorithm;
  result.rate = rule.rate;
  result.concurrency = options.bench.concurrency;
  result.buckets = options.bench.buckets;
  core::Histogram all;
  for (const auto& worker : workers) {
    all.merge(worker.latencies);
    result.allowed += worker.allowed;
    result.denied += worker.denied;
    result.redirections += static_cast<std::int64_t>(worker.redirections);
  }
  result.checks = static_cast<std::int64_t>(all.count());
  result.seconds = std::chrono::duration<double>(elapsed).count();
  result.p50 = all.percentile(0.50);
  result.p90 = all.percentile(0.90);
  result.p99 = all.percentile(0.99);
  result.p999 = all.percentile(0.999);
  result.max = all.max();
  result.mean = all.mean();
  {
    core::redis::Router redis(settings);
    result.cluster = redis.cluster();
    if (!options.bench.keep) {
      clear_buckets(redis, options, rule);
    }
  }
  return result;
}

} // namespace golfops::commands::limits
