#pragma once

#include "commands/health/conditions.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::health {

// One check, from [[health.check]] or a command-line flag.
struct CheckSpec {
  std::string name;
  std::string type; // postgres | redis | http | tcp | disk
  bool critical = true;
  core::Milliseconds timeout{5000};
  std::string url;      // postgres, redis, http
  std::string address;  // tcp host:port
  std::string path;     // disk
  std::string min_free; // disk: "10GiB" or "10%"
  std::string query;    // postgres
  std::optional<std::string> expect;
  std::optional<core::Milliseconds> max_replication_lag;
  std::optional<long> max_memory_percent;
  std::string method = "GET";
  core::http::Headers headers;
  long status = 200;
  std::vector<Condition> conditions;
  std::optional<core::Milliseconds> max_latency;
  std::optional<long> min_certificate_days;
  std::string ca_file;
  std::string origin; // where it was declared
};

struct HealthOptions {
  std::optional<core::Milliseconds> timeout; // caps every probe
  std::vector<std::string> http;             // --http URL
  std::vector<std::string> tcp;              // --tcp HOST:PORT
  std::vector<std::string> disk;             // --disk PATH
};

// The checks to run: [[health.check]] entries and flags; without either, the
// configured PostgreSQL and Redis. Throws Error(usage) when there is nothing
// to check or a check is malformed.
std::vector<CheckSpec> checks_from(const HealthOptions& options,
                                   const core::config::Config& config);

// Why a check failed; the fixed list monitoring systems can alert on:
// dns, connect, tls, timeout, status, body, header, latency, certificate, query.
struct CheckResult {
  std::string name = {};
  std::string kind = {};
  std::string target = {}; // host:port/... (never a password)
  bool critical = true;
  bool ok = false;
  double latency_ms = 0;
  std::string reason = {};  // empty when ok
  std::string message = {}; // what was expected and what was seen, or details when ok
};

struct HealthResult {
  std::vector<CheckResult> checks;
  double elapsed_ms = 0;
};

// Runs every check at once: total time is the slowest check, not the sum.
HealthResult run_checks(const std::vector<CheckSpec>& checks, core::Context& context);
HealthResult run_health(const HealthOptions& options, core::Context& context);

struct WaitOptions {
  core::Milliseconds timeout{120000};
  core::Milliseconds interval{2000};
};

struct WaitResult {
  HealthResult last;
  int attempts = 0;
  bool ready = false;
  double waited_ms = 0;
};

// Polls (interval, growing by half up to 4x) until every critical check passes
// or the timeout ends.
WaitResult run_wait(const HealthOptions& options, const WaitOptions& wait, core::Context& context);

// 0 every critical check passes (warnings alone do not fail); 1 a critical
// check failed; 3 nothing could be reached at all.
core::ExitCode exit_code(const HealthResult& result);

// Nagios plugin line and status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
struct NagiosLine {
  std::string text;
  int status = 3;
};
NagiosLine nagios(const HealthResult& result);

core::output::Report render(const HealthResult& result);
core::output::Report render(const WaitResult& result);

} // namespace golfops::commands::health
