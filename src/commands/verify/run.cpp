#include "commands/migrate/migrate.hpp"
#include "commands/verify/builtin.hpp"
#include "core/checks/wait.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>

namespace golfops::commands::verify {
namespace {

using Clock = std::chrono::steady_clock;

bool needs_base_url(Builtin check) {
  return check != Builtin::migrations && check != Builtin::rules && check != Builtin::backup;
}

// The built-in checks this run asks for, each with why it is skipped (empty
// when it runs). One asked for by name that cannot run here is a usage error.
std::vector<std::pair<Builtin, std::string>> plan_builtins(const Settings& settings,
                                                           const core::config::Config& config) {
  const auto& asked = settings.only.empty() ? every_builtin() : settings.only;
  bool named = !settings.only.empty();
  std::vector<std::pair<Builtin, std::string>> planned;
  for (auto check : asked) {
    if (std::find(settings.skip.begin(), settings.skip.end(), check) != settings.skip.end()) {
      continue;
    }
    if (needs_base_url(check) && settings.base_url.empty()) {
      core::throw_usage(fmt::format(
          "--base-url: missing: verify's {} check needs the service's URL (--base-url, "
          "verify.base_url or a suite's base_url); --check migrations --check rules runs the "
          "database checks alone",
          to_string(check)));
    }
    auto why = not_applicable(check, settings);
    if (!why && check == Builtin::migrations) {
      auto options = migrate::options_from(config);
      if (!std::filesystem::is_directory(options.dir)) {
        why = fmt::format("no migrations directory '{}' (migrate.dir)", options.dir.string());
      }
    }
    if (why && named) {
      core::throw_usage(fmt::format("--check {}: cannot run here: {}", to_string(check), *why));
    }
    planned.emplace_back(check, why.value_or(""));
  }
  return planned;
}

Outcome run_custom(const CustomCheck& check, const Settings& settings, core::Context& context) {
  auto spec = check.spec;
  if (!check.path.empty()) {
    spec.url = settings.base_url + check.path;
  }
  if (spec.ca_file.empty()) {
    spec.ca_file = settings.ca_file;
  }
  auto outcome = outcome_of(core::checks::run_check(spec, context.config), spec.name);
  outcome.builtin = false;
  outcome.critical = spec.critical;
  return outcome;
}

bool failing(const Outcome& outcome) {
  return outcome.status == Status::fail && outcome.critical;
}

Snapshot snapshot_of(const VerifyResult& result, const Facts& facts) {
  Snapshot snapshot;
  snapshot.base_url = result.base_url;
  snapshot.taken_at = core::format_utc(std::chrono::system_clock::now());
  for (const auto& check : result.checks) {
    snapshot.checks.emplace_back(check.name, check.status);
  }
  if (facts.latency && facts.latency->total.requests > 0) {
    const auto& latency = facts.latency->total.latency;
    auto ms = [&](double quantile) {
      return static_cast<double>(latency.percentile(quantile).count()) / 1e6;
    };
    snapshot.p50_ms = ms(0.50);
    snapshot.p95_ms = ms(0.95);
    snapshot.p99_ms = ms(0.99);
    snapshot.error_rate = facts.latency->error_rate();
  }
  snapshot.migration_version = facts.migration_version;
  snapshot.rules_revision = facts.rules_revision;
  return snapshot;
}

} // namespace

std::optional<std::string> not_applicable(Builtin check, const Settings& settings) {
  switch (check) {
  case Builtin::version:
    if (settings.version.expect.empty()) {
      return "no expected version (--expect-version or verify.version.expect)";
    }
    break;
  case Builtin::tls:
    if (!settings.base_url.starts_with("https://")) {
      return "the base URL is http";
    }
    break;
  case Builtin::migrations:
    if (!settings.database_configured) {
      return "no database configured (database.url)";
    }
    break;
  case Builtin::rules:
  case Builtin::rate_limit:
    if (!settings.database_configured || !settings.redis_configured) {
      return "needs the rules' PostgreSQL and Redis (database.url, redis.url)";
    }
    break;
  case Builtin::backup:
    if (!settings.backup_configured) {
      return "backup.dir is not set";
    }
    break;
  default:
    break;
  }
  return std::nullopt;
}

Outcome run_builtin(Builtin check, const Settings& settings, core::Context& context, Facts& facts) {
  switch (check) {
  case Builtin::health:
  case Builtin::ready:
    return check_endpoint(check, settings);
  case Builtin::metrics:
    return check_metrics(settings);
  case Builtin::headers:
    return check_headers(settings);
  case Builtin::version:
    return check_version(settings);
  case Builtin::tls:
    return check_tls(settings, context);
  case Builtin::migrations:
    return check_migrations(context, facts);
  case Builtin::rules:
    return check_rules(context, facts);
  case Builtin::rate_limit:
    return check_rate_limit(settings, context);
  case Builtin::latency:
    return check_latency(settings, facts);
  case Builtin::backup:
    return check_backup(settings, context);
  }
  return {};
}

bool VerifyResult::passed() const {
  return std::none_of(checks.begin(), checks.end(), failing);
}

core::ExitCode exit_code(const VerifyResult& result) {
  if (result.passed()) {
    return core::ExitCode::ok;
  }
  bool all_unreachable =
      std::all_of(result.checks.begin(), result.checks.end(), [](const Outcome& check) {
        return !failing(check) || core::checks::is_unreachable(check.reason);
      });
  return all_unreachable ? core::ExitCode::unreachable : core::ExitCode::failed;
}

VerifyResult run_verify(const VerifyOptions& options, core::Context& context) {
  auto start = Clock::now();
  const auto& settings = options.settings;
  for (const auto& custom : options.custom) {
    if (!custom.path.empty() && settings.base_url.empty()) {
      core::throw_usage(fmt::format("--base-url: missing: check '{}' ({}) is a path on the "
                                    "service's URL (--base-url, verify.base_url or a suite's "
                                    "base_url)",
                                    custom.spec.name,
                                    custom.spec.origin));
    }
  }
  // Names are how JSON, JUnit and baselines tell checks apart.
  std::vector<std::string> names;
  for (auto check : every_builtin()) {
    names.emplace_back(to_string(check));
  }
  names.emplace_back("baseline");
  for (const auto& custom : options.custom) {
    if (std::find(names.begin(), names.end(), custom.spec.name) != names.end()) {
      core::throw_usage(fmt::format("{}: check name '{}' is taken (by a built-in check or another "
                                    "check); give it another name",
                                    custom.spec.origin,
                                    custom.spec.name));
    }
    names.push_back(custom.spec.name);
  }
  auto planned = plan_builtins(settings, context.config);
  if (planned.empty() && options.custom.empty()) {
    core::throw_usage("--skip: nothing to verify: every built-in check is skipped and no suite "
                      "adds one");
  }
  std::optional<Snapshot> before;
  if (!options.baseline.empty()) {
    before = read_baseline(options.baseline);
  }

  VerifyResult result;
  result.base_url = settings.base_url;
  Facts facts;
  // Built-in checks first, in their order (the rate-limit and latency
  // bursts one after the other, so neither measures the other), then the
  // suite's.
  struct Slot {
    std::optional<Builtin> builtin;
    const CustomCheck* custom = nullptr;
  };
  std::vector<Slot> slots;
  for (const auto& [check, why] : planned) {
    Outcome outcome;
    outcome.name = std::string(to_string(check));
    if (!why.empty()) {
      outcome.status = Status::skip;
      outcome.message = why;
      outcome.attempts = 0;
    }
    result.checks.push_back(outcome);
    slots.push_back({check, nullptr});
  }
  for (const auto& custom : options.custom) {
    Outcome outcome;
    outcome.name = custom.spec.name;
    outcome.builtin = false;
    outcome.critical = custom.spec.critical;
    result.checks.push_back(outcome);
    slots.push_back({std::nullopt, &custom});
  }
  std::vector<bool> pending(result.checks.size());
  for (std::size_t index = 0; index < pending.size(); ++index) {
    pending[index] = result.checks[index].status != Status::skip;
  }
  int round = 0;
  std::optional<std::size_t> running; // the check under way
  auto running_since = Clock::now();
  auto poll = [&] {
    ++round;
    for (std::size_t index = 0; index < slots.size(); ++index) {
      if (!pending[index]) {
        continue;
      }
      context.cancel.check();
      running = index;
      running_since = Clock::now();
      auto& outcome = result.checks[index];
      context.progress.status(fmt::format(
          "verify: {}{}", outcome.name, round > 1 ? fmt::format(" (attempt {})", round) : ""));
      auto attempts = outcome.attempts;
      auto fresh = slots[index].builtin
                       ? run_builtin(*slots[index].builtin, settings, context, facts)
                       : run_custom(*slots[index].custom, settings, context);
      // A check a signal cut short (the latency burst stops early and
      // returns what it had) is the interrupted one, not a pass.
      context.cancel.check();
      outcome = std::move(fresh);
      outcome.seconds = std::chrono::duration<double>(Clock::now() - running_since).count();
      outcome.attempts = round > 1 ? attempts + 1 : 1;
      running.reset();
      // A check that passed stays passed; the rest run again next round.
      pending[index] = failing(outcome);
    }
    return std::none_of(pending.begin(), pending.end(), [](bool again) { return again; });
  };
  try {
    if (options.retry_timeout) {
      core::checks::WaitOptions wait{*options.retry_timeout, options.retry_interval};
      auto outcome = core::checks::wait_until(wait, poll, [&](int) {
        auto left = std::count(pending.begin(), pending.end(), true);
        context.progress.status(fmt::format("verify: {} failing, retrying until {} has passed",
                                            left,
                                            core::format_duration(*options.retry_timeout)));
      });
      result.rounds = outcome.attempts;
    } else {
      poll();
      result.rounds = 1;
    }
  } catch (const core::Cancelled& cancelled) {
    // CI's timeout sends SIGTERM: report what ran (and write --junit), the
    // check that was running as failed, the rest as not run.
    result.interrupted_by = cancelled.signal();
    result.rounds = round;
    if (running) {
      auto& current = result.checks[*running];
      current.seconds = std::chrono::duration<double>(Clock::now() - running_since).count();
      fail(current,
           core::checks::Reason::none,
           fmt::format("interrupted by {}{}",
                       cancelled.signal() == SIGTERM ? "SIGTERM" : "SIGINT",
                       current.message.empty() ? "" : "; the attempt before: " + current.message));
    }
    for (std::size_t index = 0; index < slots.size(); ++index) {
      // Never run: still as set up, no message.
      if (pending[index] && result.checks[index].message.empty()) {
        result.checks[index].status = Status::skip;
        result.checks[index].attempts = 0;
        result.checks[index].message = "not run: interrupted";
      }
    }
  }
  context.progress.status("");
  result.latency = facts.latency;
  result.snapshot = snapshot_of(result, facts);
  if (before && result.interrupted_by == 0) {
    result.baseline = options.baseline;
    result.baseline_url = before->base_url;
    result.comparisons = compare(*before, result.snapshot, settings.tolerances);
    std::vector<std::string> regressions;
    auto reason = core::checks::Reason::query;
    for (const auto& comparison : result.comparisons) {
      if (comparison.regressed) {
        if (comparison.what.starts_with('p')) {
          reason = core::checks::Reason::latency;
        }
        regressions.push_back(fmt::format("{} {} -> {} (allowed: {})",
                                          comparison.what,
                                          comparison.before,
                                          comparison.after,
                                          comparison.allowed));
      }
    }
    Outcome outcome;
    outcome.name = "baseline";
    outcome.target = options.baseline.string();
    if (regressions.empty()) {
      outcome.status = Status::pass;
      outcome.message = fmt::format("no regression against the baseline of {}", before->taken_at);
    } else {
      fail(outcome,
           reason,
           fmt::format("regressed since the baseline of {}: {}",
                       before->taken_at,
                       fmt::join(regressions, "; ")));
    }
    result.checks.push_back(outcome);
  }
  if (!options.save_baseline.empty() && result.interrupted_by == 0) {
    core::write_named_file(options.save_baseline, baseline_json(result.snapshot), 0644);
    result.saved_baseline = options.save_baseline;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

} // namespace golfops::commands::verify
