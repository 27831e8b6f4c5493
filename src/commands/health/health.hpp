#pragma once

#include "core/checks/check.hpp"
#include "core/checks/wait.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::health {

using core::checks::CheckResult;
using core::checks::CheckSpec;

// Formats health renders beyond table and json.
inline constexpr std::string_view k_health_json = "health+json";
inline constexpr std::string_view k_prometheus = "prometheus";

struct HealthOptions {
  std::optional<core::Milliseconds> timeout; // caps every probe
  std::vector<std::string> http;             // --http URL
  std::vector<std::string> tcp;              // --tcp HOST:PORT
  std::vector<std::string> disk;             // --disk PATH
  // How every --http check asks and what it expects, as curl + jq would.
  std::string method = "GET";                      // --method
  core::http::Headers headers;                     // --header 'Name: value'
  std::string body;                                // --body
  long status = 200;                               // --expect-status
  std::vector<core::checks::Condition> conditions; // --condition
};

// The checks to run: [[health.check]] entries and flags; without either, the
// configured PostgreSQL and Redis. Throws Error(usage) when there is nothing
// to check or a check is malformed.
std::vector<CheckSpec> checks_from(const HealthOptions& options,
                                   const core::config::Config& config);

// Every [[health.check]] of `config` as a spec; throws Error(usage) with a
// line for each malformed one (config validate runs it on every profile).
std::vector<CheckSpec> configured_checks(const core::config::Config& config);

struct HealthResult {
  std::vector<CheckResult> checks;
  double elapsed_ms = 0;
};

// Runs every check at once: total time is the slowest check, not the sum.
HealthResult run_checks(const std::vector<CheckSpec>& checks, core::Context& context);
HealthResult run_health(const HealthOptions& options, core::Context& context);

struct WaitResult {
  HealthResult last;
  int attempts = 0;
  bool ready = false;
  double waited_ms = 0;
};

// Polls (interval, growing by half up to 4x) until every critical check passes
// or the timeout ends.
WaitResult run_wait(const HealthOptions& options,
                    const core::checks::WaitOptions& wait,
                    core::Context& context);

// 0 every critical check passes (warnings alone do not fail); 1 a critical
// check failed; 3 nothing could be reached at all.
core::ExitCode exit_code(const HealthResult& result);

// Nagios plugin line and status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
struct NagiosLine {
  std::string text;
  int status = 3;
};
NagiosLine nagios(const HealthResult& result);
// Any golfops error under --nagios: UNKNOWN, exit 3.
NagiosLine nagios_unknown(const core::Error& error);

core::output::Report render(const HealthResult& result);
core::output::Report render(const WaitResult& result);

// The [[health.check]] table array, contributed to the config schema.
void add_config_keys();

} // namespace golfops::commands::health
