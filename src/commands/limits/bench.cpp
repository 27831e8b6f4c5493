#include "commands/limits/scripts.hpp"
#include "commands/limits/session.hpp"
#include "core/error.hpp"
#include "core/histogram.hpp"

#include <algorithm>
#include <atomic>
#include <fmt/format.h>
#include <latch>
#include <mutex>
#include <poll.h>
#include <thread>

namespace golfops::commands::limits {
namespace {

// The rule bench checks against: its own name, so its buckets never mix
// with a real rule's.
Rule bench_rule(const LimitsOptions& options) {
  Rule rule;
  rule.name = "golfops-bench";
  rule.scope = Scope::ip;
  rule.rate = options.bench.rate;
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
      std::vector<Connection*> active;
      for (auto& client : clients) {
        if (client.router && issue(client)) {
          active.push_back(&client);
        }
      }
      std::vector<pollfd> polled;
      while (!active.empty()) {
        polled.clear();
        for (auto* client : active) {
          polled.push_back({client->connection->fd(), POLLIN, 0});
        }
        if (::poll(polled.data(), polled.size(), 1000) < 0 && errno != EINTR) {
          core::throw_failed("poll failed in limits bench");
        }
        std::vector<Connection*> still;
        for (std::size_t index = 0; index < active.size(); ++index) {
          auto& client = *active[index];
          if (polled[index].revents == 0) {
            still.push_back(&client);
            continue;
          }
          auto replies = client.connection->receive();
          if (replies.empty()) {
            still.push_back(&client);
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
          if (issue(client)) {
            still.push_back(&client);
          }
        }
        active.swap(still);
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
