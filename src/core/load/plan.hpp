#pragma once

#include "core/load/result.hpp"
#include "core/load/schedule.hpp"
#include "core/units.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace golfops::core::load {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Where a run sends its requests: one origin, so every connection can carry
// every request.
struct Origin {
  bool tls = false;
  std::string host; // without brackets
  int port = 0;
  std::string ca_file;   // https: empty for the system trust store
  bool insecure = false; // https: skip the certificate check (self-signed staging)
};

// One kind of request a run sends (a URL, or a scenario file's entry).
struct RequestSpec {
  std::string name;
  std::string method = "GET";
  std::string target = "/"; // path and query
  Headers headers;
  std::string body;
  unsigned weight = 1;
  // The statuses that count as success; empty: any below 400 (429 is
  // always counted as throttled, not as an error).
  std::vector<int> expect_status;
};

struct Plan {
  std::string display; // the URL or the scenario file, for the result
  Origin origin;
  std::vector<RequestSpec> requests;
  std::string user_agent;
  int connections = 50;
  int threads = 1;
  // Closed model: each connection sends its next request when the last is
  // answered, for `duration` or until `count` requests (0: no bound by
  // that). Open model: `schedule` says when each request is due.
  std::chrono::nanoseconds duration{0};
  std::uint64_t count = 0;
  std::optional<Schedule> schedule;
  Milliseconds connect_timeout{5000};
  Milliseconds timeout{10000};
  bool keepalive = true;
};

// What a running test shows once a second.
struct Progress {
  std::chrono::nanoseconds elapsed{0};
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
};

// Parses an http:// or https:// URL into the origin and the request target.
// Throws Error(usage) naming `field`.
std::pair<Origin, std::string> split_url(std::string_view url, std::string_view field);

// Runs the plan: connects first, then loads until its bound, SIGINT
// (the result so far, marked interrupted) or a fatal setup failure (no
// connection at all: NetError). `progress` is called about once a second.
Result run(const Plan& plan, const std::function<void(const Progress&)>& progress);

} // namespace golfops::core::load
