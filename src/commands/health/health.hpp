#pragma once

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::health {

struct HealthOptions {
  std::optional<core::Milliseconds> timeout; // caps every probe; default: each client's timeout
};

// Why a check failed; the fixed list monitoring systems can alert on.
// dns, connect, tls, timeout, status, body, header, latency, certificate, query.
struct CheckResult {
  std::string name = {};   // "postgres", "redis"
  std::string kind = {};   // the probe type
  std::string target = {}; // host:port/... (never a password)
  bool ok = false;
  double latency_ms = 0;
  std::string reason = {};  // empty when ok
  std::string message = {}; // what was expected and what was seen, or details when ok
};

struct HealthResult {
  std::vector<CheckResult> checks;
  double elapsed_ms = 0;
};

// Probes every configured dependency at once; total time is the slowest
// probe, not the sum. Throws Error(usage) when nothing is configured.
HealthResult run_health(const HealthOptions& options, core::Context& context);

// 0 all pass; 1 a check failed; 3 nothing could be reached at all.
core::ExitCode exit_code(const HealthResult& result);

core::output::Report render(const HealthResult& result);

} // namespace golfops::commands::health
