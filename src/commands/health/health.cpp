#include "commands/health/health.hpp"

#include "core/checks/check.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/http/client.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <fmt/format.h>
#include <map>

namespace golfops::commands::health {
namespace {

using Clock = std::chrono::steady_clock;
using core::checks::CheckType;
using core::checks::Reason;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The database is configured when a URL is set or libpq's own variables are.
bool database_configured(const core::config::Config& config) {
  if (config.is_set("database.url")) {
    return true;
  }
  for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"}) {
    if (config.environment().contains(name)) {
      return true;
    }
  }
  return false;
}

} // namespace

void add_config_keys() {
  core::config::add_table_array({.name = "health.check",
                                 .description = "a dependency `golfops health` probes (see "
                                                "docs/health.md)",
                                 .keys = core::checks::check_keys()});
}

std::vector<CheckSpec> configured_checks(const core::config::Config& config) {
  std::vector<CheckSpec> checks;
  std::vector<std::string> problems; // every malformed check, one line each
  const auto& entries = config.entries("health.check");
  for (std::size_t index = 0; index < entries.size(); ++index) {
    try {
      checks.push_back(core::checks::spec_from(entries[index], "health.check", index + 1));
    } catch (const core::Error& error) {
      problems.emplace_back(error.what());
    }
  }
  if (!problems.empty()) {
    core::throw_usage(core::join(problems, "\n"));
  }
  return checks;
}

std::vector<CheckSpec> checks_from(const HealthOptions& options,
                                   const core::config::Config& config) {
  std::vector<CheckSpec> checks;
  // A check from a flag or from the connection settings: named by its type.
  auto add = [&checks](CheckType type, std::string_view origin) -> CheckSpec& {
    auto& spec = checks.emplace_back();
    spec.type = type;
    spec.name = core::checks::to_string(type);
    spec.origin = origin;
    return spec;
  };
  for (const auto& url : options.http) {
    core::http::require_http_url(url, "--http");
    auto& spec = add(CheckType::http, "--http");
    spec.url = url;
    spec.method = options.method;
    spec.headers = options.headers;
    spec.body = options.body;
    spec.status = options.status;
    spec.conditions = options.conditions;
  }
  for (const auto& address : options.tcp) {
    core::checks::require_address(address, "--tcp");
    add(CheckType::tcp, "--tcp").address = address;
  }
  for (const auto& path : options.disk) {
    if (path.empty()) {
      core::throw_usage("--disk: empty path (expected a path on the filesystem to check)");
    }
    add(CheckType::disk, "--disk").path = path;
  }
  if (checks.empty()) {
    checks = configured_checks(config);
  }
  if (checks.empty()) {
    if (database_configured(config)) {
      add(CheckType::postgres, "database.url").timeout =
          config.duration("database.connect_timeout");
    }
    if (config.is_set("redis.url")) {
      add(CheckType::redis, "redis.url").timeout = config.duration("redis.connect_timeout");
    }
  }
  if (checks.empty()) {
    core::throw_usage(
        "health: nothing to check: add [[health.check]] entries, --http/--tcp/--disk, "
        "or set database.url (DATABASE_URL / PG* variables) or redis.url (REDIS_URL)");
  }
  // Names label metrics: make them unique (http, http_2, ...).
  std::map<std::string, int> seen;
  for (auto& check : checks) {
    if (++seen[check.name] > 1) {
      check.name += "_" + std::to_string(seen[check.name]);
    }
    if (options.timeout) {
      check.timeout = std::min(check.timeout, *options.timeout);
    }
  }
  return checks;
}

HealthResult run_checks(const std::vector<CheckSpec>& checks, core::Context& context) {
  auto start = Clock::now();
  HealthResult result;
  result.checks = core::checks::run_checks(checks, context.config);
  for (const auto& check : result.checks) {
    context.log.debug(fmt::format("{}: {} in {:.1f} ms",
                                  check.name,
                                  check.ok ? "ok" : core::checks::to_string(check.reason),
                                  check.latency_ms));
  }
  result.elapsed_ms = milliseconds_since(start);
  return result;
}

HealthResult run_health(const HealthOptions& options, core::Context& context) {
  return run_checks(checks_from(options, context.config), context);
}

WaitResult run_wait(const HealthOptions& options,
                    const core::checks::WaitOptions& wait,
                    core::Context& context) {
  auto checks = checks_from(options, context.config);
  WaitResult result;
  auto outcome = core::checks::wait_until(
      wait,
      [&] {
        result.last = run_checks(checks, context);
        return std::all_of(result.last.checks.begin(),
                           result.last.checks.end(),
                           [](const CheckResult& check) { return check.ok || !check.critical; });
      },
      [&](int attempts) {
        std::vector<std::string> failing;
        for (const auto& check : result.last.checks) {
          if (!check.ok && check.critical) {
            failing.push_back(fmt::format("{} {}", check.name, to_string(check.reason)));
            context.log.debug(fmt::format(
                "waiting: {} {}: {}", check.name, to_string(check.reason), check.message));
          }
        }
        context.progress.step(static_cast<std::size_t>(attempts),
                              0,
                              fmt::format("waiting for {}", fmt::join(failing, ", ")));
      });
  result.attempts = outcome.attempts;
  result.ready = outcome.ready;
  result.waited_ms = outcome.waited_ms;
  return result;
}

core::ExitCode exit_code(const HealthResult& result) {
  bool critical_failed = false;
  bool any_reached = false;
  for (const auto& check : result.checks) {
    critical_failed = critical_failed || (!check.ok && check.critical);
    any_reached = any_reached || check.ok || !core::checks::is_unreachable(check.reason);
  }
  if (!any_reached) {
    return core::ExitCode::unreachable;
  }
  return critical_failed ? core::ExitCode::failed : core::ExitCode::ok;
}

namespace {

constexpr std::array<std::string_view, 4> k_nagios_states{"OK", "WARNING", "CRITICAL", "UNKNOWN"};

} // namespace

NagiosLine nagios(const HealthResult& result) {
  std::size_t passing = 0;
  bool critical = false;
  bool warning = false;
  std::vector<std::string> failures;
  std::vector<std::string> perfdata;
  for (const auto& check : result.checks) {
    passing += check.ok ? 1 : 0;
    critical = critical || (!check.ok && check.critical);
    warning = warning || (!check.ok && !check.critical);
    if (!check.ok) {
      failures.push_back(fmt::format("{} {}", check.name, to_string(check.reason)));
    }
    perfdata.push_back(fmt::format("'{}'={:.6f}s;;;0", check.name, check.latency_ms / 1000.0));
    // As Nagios plugins do: each measured value with its threshold, in the
    // warning slot for a warning check and the critical slot otherwise.
    for (const auto& measurement : check.measurements) {
      auto threshold = measurement.threshold ? fmt::format("{}", *measurement.threshold) : "";
      perfdata.push_back(fmt::format("'{}_{}'={}{};{};{};;",
                                     check.name,
                                     measurement.name,
                                     measurement.value,
                                     measurement.unit,
                                     check.critical ? "" : threshold,
                                     check.critical ? threshold : ""));
    }
  }
  NagiosLine line;
  line.status = critical ? 2 : warning ? 1 : 0;
  line.text = fmt::format("GOLFOPS HEALTH {} - {}/{} checks passed{}{} | {}",
                          k_nagios_states[static_cast<std::size_t>(line.status)],
                          passing,
                          result.checks.size(),
                          failures.empty() ? "" : ": ",
                          fmt::join(failures, ", "),
                          fmt::join(perfdata, " "));
  return line;
}

NagiosLine nagios_unknown(const core::Error& error) {
  return {fmt::format("GOLFOPS HEALTH UNKNOWN - {}",
                      core::split(core::redact(error.what()), '\n').front()),
          3};
}

} // namespace golfops::commands::health
