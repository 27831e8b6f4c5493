#include "commands/command.hpp"
#include "commands/verify/verify.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/http/client.hpp"
#include "core/load/threshold.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <fmt/format.h>
#include <memory>

namespace golfops::commands::verify {

namespace {

struct Flags {
  std::string base_url;
  std::string suite;
  std::vector<std::string> checks;
  std::vector<std::string> skip;
  std::vector<std::string> slo;
  std::string expect_version;
  std::string timeout;
  std::string ca_file;
  std::string retry_timeout;
  std::string retry_interval;
  std::string junit;
  std::string baseline;
  std::string save_baseline;
};

// --check a,b and --check a --check b alike.
std::vector<std::string> names(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    for (auto& part : core::split(value, ',')) {
      // 'health, ready' as written in a shell or YAML list.
      auto first = part.find_first_not_of(' ');
      if (first != std::string::npos) {
        out.push_back(part.substr(first, part.find_last_not_of(' ') - first + 1));
      }
    }
  }
  return out;
}

// What the flags say, checked before anything runs.
struct Checked {
  std::optional<std::string> base_url;
  std::optional<std::vector<Builtin>> only;
  std::optional<std::vector<Builtin>> skip;
  std::optional<std::vector<core::load::Threshold>> slo;
  std::optional<core::Milliseconds> timeout;
  VerifyOptions options; // retry, baseline files
};

Checked check_flags(const Flags& flags) {
  Checked checked;
  if (!flags.base_url.empty()) {
    checked.base_url = base_url_from(flags.base_url, "--base-url");
  }
  for (const auto& [given, flag] : {std::pair{&flags.checks, "--check"}, {&flags.skip, "--skip"}}) {
    if (!given->empty() && names(*given).empty()) {
      core::throw_usage(fmt::format("{}: empty (expected check names such as health,ready)", flag));
    }
  }
  if (!flags.checks.empty()) {
    checked.only = parse_builtins(names(flags.checks), "--check");
  }
  if (!flags.skip.empty()) {
    checked.skip = parse_builtins(names(flags.skip), "--skip");
  }
  if (!flags.slo.empty()) {
    checked.slo.emplace();
    for (const auto& text : flags.slo) {
      checked.slo->push_back(core::load::parse_threshold(text, "--slo"));
    }
  }
  if (!flags.timeout.empty()) {
    checked.timeout = core::parse_duration(flags.timeout, "--timeout");
    if (checked.timeout->count() <= 0) {
      core::throw_usage(fmt::format("--timeout: '{}' must be more than 0", flags.timeout));
    }
  }
  auto& options = checked.options;
  if (!flags.retry_timeout.empty()) {
    options.retry_timeout = core::parse_duration(flags.retry_timeout, "--retry-timeout");
    if (options.retry_timeout > std::chrono::hours(24)) {
      core::throw_usage(
          fmt::format("--retry-timeout: '{}' is longer than 24h", flags.retry_timeout));
    }
  }
  if (!flags.retry_interval.empty()) {
    if (flags.retry_timeout.empty()) {
      core::throw_usage("--retry-interval: applies to retries; add --retry-timeout D");
    }
    options.retry_interval = core::parse_duration(flags.retry_interval, "--retry-interval");
    if (options.retry_interval < core::Milliseconds(100)) {
      core::throw_usage(
          fmt::format("--retry-interval: '{}' would retry without pause (expected at least 100ms)",
                      flags.retry_interval));
    }
  }
  if (!flags.junit.empty()) {
    core::require_file_place(flags.junit, "--junit");
  }
  if (!flags.ca_file.empty()) {
    core::read_file(flags.ca_file, "--ca-file"); // readable now, not after connecting
  }
  if (!core::printable(flags.expect_version)) {
    core::throw_usage("--expect-version: not one line of printable text");
  }
  if (!flags.save_baseline.empty()) {
    core::require_file_place(flags.save_baseline, "--save-baseline");
  }
  options.baseline = flags.baseline;
  options.save_baseline = flags.save_baseline;
  options.suite = flags.suite;
  return checked;
}

} // namespace

void register_verify(CLI::App& app, commands::Selected& selected) {
  add_config_keys();
  auto flags = std::make_shared<Flags>();
  auto* command = app.add_subcommand(
      "verify",
      "Check a deployed service end to end: health, readiness, metrics, security headers, rate "
      "limiting, migrations, rules, latency, TLS, backups");
  command->add_option("--base-url", flags->base_url, "The service, e.g. https://api.example.com");
  command->add_option(
      "--suite", flags->suite, "TOML file with custom [[check]]s, base_url, checks, skip and slo");
  command->add_option("--check",
                      flags->checks,
                      "Run only these built-in checks (repeatable or comma-separated): health, "
                      "ready, metrics, headers, version, tls, migrations, rules, rate_limit, "
                      "latency, backup");
  command->add_option("--skip", flags->skip, "Built-in checks not to run (repeatable)");
  command->add_option("--slo",
                      flags->slo,
                      "What the latency burst must meet, e.g. 'p95<200ms' (repeatable; default "
                      "p95<200ms and error_rate<1%)");
  command->add_option(
      "--expect-version", flags->expect_version, "The version the version endpoint must report");
  command->add_option("--timeout", flags->timeout, "Time allowed for each request (default 5s)");
  command->add_option("--ca-file", flags->ca_file, "https: CA certificates to trust");
  command->add_option("--retry-timeout",
                      flags->retry_timeout,
                      "Retry failing checks until they pass or this long has passed (a deploy "
                      "settling), e.g. 2m");
  command->add_option("--retry-interval",
                      flags->retry_interval,
                      "First pause between retries; grows to 4x (default 2s)");
  command->add_option("--junit", flags->junit, "Also write JUnit XML to FILE for CI");
  command->add_option("--baseline",
                      flags->baseline,
                      "Compare with a baseline saved before the deploy; fail on regressions");
  command->add_option("--save-baseline",
                      flags->save_baseline,
                      "Write this run's baseline to FILE (before a deploy)");
  command->footer(
      "Exit status 0 when every check passes, 1 when one fails (each failure says expected vs "
      "seen), 2 for bad input, 3 when every failure is a dependency that cannot be reached.\n\n"
      "EXAMPLES:\n  golfops verify --base-url https://staging.example.com --junit verify.xml\n"
      "  golfops verify --save-baseline before.json && deploy && golfops verify --baseline "
      "before.json --retry-timeout 2m\n"
      "  golfops verify --suite checks/smoke.toml --slo 'p99<300ms'\n"
      "  golfops verify --check migrations --check rules");
  command->callback([&selected, flags, command] {
    auto checked = check_flags(*flags);
    // `--baseline "$UNSET"` must not quietly turn a regression gate off.
    for (const auto* option : command->get_options()) {
      if (option->count() == 0 || option->get_expected_min() < 1 || option->get_lnames().empty()) {
        continue;
      }
      for (const auto& value : option->results()) {
        if (value.empty()) {
          core::throw_usage(fmt::format("--{}: empty (expected a value; leave the flag out for the "
                                        "default)",
                                        option->get_lnames().front()));
        }
      }
    }
    if (!flags->expect_version.empty()) {
      selected.config_flags["verify.version.expect"] = {flags->expect_version, "--expect-version"};
    }
    if (!flags->ca_file.empty()) {
      selected.config_flags["verify.ca_file"] = {flags->ca_file, "--ca-file"};
    }
    selected.run = [checked, flags](commands::Invocation& invocation) {
      auto& context = invocation.context;
      auto options = checked.options;
      options.settings = settings_from(context.config);
      options.custom = custom_checks_from(
          context.config.entries("verify.check"), "verify.check", options.settings.base_url);
      if (!options.suite.empty()) {
        apply_suite(options.suite, context.config.environment(), options.settings, options.custom);
      }
      auto& settings = options.settings;
      if (checked.base_url) {
        settings.base_url = *checked.base_url;
      }
      if (checked.only) {
        settings.only = *checked.only;
      }
      if (checked.skip) {
        settings.skip = *checked.skip;
      }
      if (checked.slo) {
        settings.latency.slo = *checked.slo;
      }
      if (checked.timeout) {
        settings.timeout = *checked.timeout;
      }
      auto result = run_verify(options, context);
      commands::Outcome outcome{render(result), exit_code(result)};
      if (result.interrupted_by != 0) {
        outcome.exit_status = 128 + result.interrupted_by;
      }
      if (!flags->junit.empty()) {
        core::write_named_file(flags->junit, junit_xml(result), 0644);
      }
      for (const auto& check : result.checks) {
        if (check.status == Status::fail && check.critical) {
          outcome.errors.push_back(fmt::format("{}: {}", check.name, check.message));
        }
      }
      return outcome;
    };
  });
}

} // namespace golfops::commands::verify
