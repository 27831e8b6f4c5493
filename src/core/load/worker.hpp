#pragma once

#include "core/load/plan.hpp"
#include "core/load/result.hpp"
#include "core/net.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct ssl_ctx_st;
struct epoll_event;

namespace golfops::core::load {

using Clock = std::chrono::steady_clock;

// A request ready to send: encoded once, with what judging its answer needs.
struct Prepared {
  const RequestSpec* spec = nullptr;
  std::size_t index = 0; // in Plan::requests
  std::string bytes;
  bool head = false; // a HEAD answer has no body, whatever its headers say
};

// What every worker thread reads; set up before the threads start.
struct Shared {
  const Plan* plan = nullptr;
  std::vector<Prepared> requests;
  net::Address address;
  std::shared_ptr<ssl_ctx_st> tls;
  int threads = 1; // how many workers share the schedule
  Clock::time_point start;
  std::int64_t start_unix_ms = 0;
  std::atomic<std::uint64_t> issued{0}; // closed model with a count
  std::atomic<bool> stop{false};        // SIGINT: drop what is in flight and finish
};

// What a thread shows the progress line while it runs.
struct alignas(64) Live {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<bool> finished{false};
};

// What one thread measured.
struct ThreadResult {
  std::vector<Tally> by_request;
  RetryAfter retry_after;
  std::vector<Second> timeline;
  Histogram send_lag;
  std::uint64_t queued = 0;
  std::int64_t max_queue_ns = 0;
  std::uint64_t unsent = 0; // open model: waited past --timeout for a connection
  double busy = 0;          // CPU time / wall time
  Clock::time_point last_answer;
};

// One thread's connections, driven by one epoll loop: the same loop serves
// the closed model (a connection sends again when answered) and the open
// model (requests go out when the schedule says, on whichever connection
// is free).
class Worker {
public:
  Worker(Shared& shared, int index, int connections, Live& live);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens the keep-alive connections before the clock starts, so the
  // first requests do not pay for them.
  void connect(Clock::time_point deadline);
  void run();
  ThreadResult take_result();

  struct Connection;

private:
  void issue_closed(Connection& connection, Clock::time_point now);
  void dispatch_due(Clock::time_point now);
  void advance_schedule();
  void expire(Clock::time_point due, Clock::time_point now);
  Clock::time_point answer_deadline(const Connection& connection) const;
  void assign(Connection& connection,
              std::size_t request,
              Clock::time_point intended,
              bool retry = false);
  void open(Connection& connection);
  void start_tls(Connection& connection);
  void handshake(Connection& connection);
  void ready(Connection& connection);
  void send(Connection& connection);
  void receive(Connection& connection);
  void consume(Connection& connection, const char* data, std::size_t size);
  void end_of_stream(Connection& connection);
  void complete(Connection& connection);
  void fail(Connection& connection, ErrorKind kind);
  void after_request(Connection& connection, Clock::time_point now);
  void count_request(Tally& tally,
                     Clock::time_point now,
                     std::optional<std::chrono::nanoseconds> latency,
                     std::optional<ErrorKind> error,
                     bool throttled,
                     std::uint64_t bytes);
  void close(Connection& connection);
  void want(Connection& connection, std::uint32_t events);
  void on_event(Connection& connection, std::uint32_t events);
  void scan(Clock::time_point now);
  void count_second(Clock::time_point now,
                    std::optional<std::chrono::nanoseconds> latency,
                    bool error,
                    bool throttled,
                    std::uint64_t bytes);
  void flush_second();
  bool done() const;
  void send_round();
  bool m_in_event_round = false;
  std::vector<Connection*> m_round_sends;
  int wait_for_events(epoll_event* events, int capacity, std::chrono::nanoseconds wait);
  bool m_precise_wait = true;
  Clock::time_point wake_time(Clock::time_point now) const;

  Shared& m_shared;
  const Plan& m_plan;
  int m_index;
  Live& m_live;
  int m_epoll = -1;
  std::vector<std::unique_ptr<Connection>> m_connections;
  std::vector<Connection*> m_idle; // open model: free connections
  std::size_t m_in_flight = 0;
  std::size_t m_resting = 0; // closed model: waiting out a failed connect
  std::vector<char> m_buffer;

  // Choosing requests by weight: smooth weighted round-robin (as nginx
  // balances upstreams), so a 9:1 mix sends 9 then 1, evenly, not by chance.
  std::vector<long> m_current_weight;
  long m_total_weight = 0;
  std::size_t pick();

  // Closed model: whether new requests may still go out.
  bool m_issuing = true;
  // Open model: the next request this thread sends and when it is due.
  double m_next_index = 0;
  std::optional<Clock::time_point> m_next_due;

  Clock::time_point m_next_scan;
  std::uint64_t m_requests = 0;
  std::uint64_t m_errors = 0;

  std::int64_t m_second = -1; // the timeline second being counted
  Second m_second_counts;
  Histogram m_second_latency;
  ThreadResult m_result;
};

} // namespace golfops::core::load
