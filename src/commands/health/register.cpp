#include "commands/command.hpp"
#include "commands/health/health.hpp"
#include "core/cancel.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <algorithm>
#include <memory>

namespace golfops::commands::health {
namespace {

struct Flags {
  std::string timeout;
  std::vector<std::string> http;
  std::vector<std::string> tcp;
  std::vector<std::string> disk;
  bool nagios = false;
  bool watch = false;
  std::string interval = "2s";
  std::string wait_timeout = "2m";
};

// An interval that would poll in a tight loop is refused, naming the flag.
core::Milliseconds interval_from(const std::string& text) {
  auto interval = core::parse_duration(text, "--interval");
  if (interval < core::Milliseconds(100)) {
    core::throw_usage(
        fmt::format("--interval: '{}' would poll without pause (expected at least 100ms)", text));
  }
  return interval;
}

HealthOptions options_for(const Flags& flags) {
  HealthOptions options;
  if (!flags.timeout.empty()) {
    options.timeout = core::parse_duration(flags.timeout, "--timeout");
    if (options.timeout->count() <= 0) {
      core::throw_usage(fmt::format("--timeout: '{}' must be more than 0", flags.timeout));
    }
  }
  options.http = flags.http;
  options.tcp = flags.tcp;
  options.disk = flags.disk;
  return options;
}

void add_check_flags(CLI::App* command, Flags& flags) {
  command->add_option(
      "--http", flags.http, "Probe this URL (repeatable); replaces configured checks");
  command->add_option("--tcp", flags.tcp, "Connect to HOST:PORT (repeatable)");
  command->add_option("--disk", flags.disk, "Report free space of PATH (repeatable)");
}

} // namespace

void register_health(CLI::App& app, commands::Selected& selected) {
  add_config_keys();
  core::config::add_validator(
      [](const core::config::Config& config) { configured_checks(config); });
  // Under --nagios every golfops error, a usage error included, is one
  // UNKNOWN line and exit 3, as Nagios expects of a plugin.
  selected.error_exits.push_back(
      {[](const std::vector<std::string>& words) {
         auto health = std::find(words.begin(), words.end(), "health");
         return health != words.end() && std::find(health, words.end(), "--nagios") != words.end();
       },
       [](const core::Error& error, std::ostream& out) {
         auto line = nagios_unknown(error);
         out << line.text << "\n";
         return line.status;
       }});
  auto flags = std::make_shared<Flags>();
  auto* command = app.add_subcommand(
      "health", "Probe every configured dependency at once: PostgreSQL, Redis, HTTP, TCP, disk");
  command->add_option(
      "--timeout", flags->timeout, "Cap on every probe, e.g. 2s (default: each check's timeout)");
  add_check_flags(command, *flags);
  command->add_flag(
      "--nagios",
      flags->nagios,
      "One Nagios plugin line with perfdata; exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN");
  command->add_flag("--watch", flags->watch, "Run again every --interval, redrawing on a terminal");
  command->add_option(
      "--interval", flags->interval, "With --watch: time between runs (default 2s)");
  command->footer("Output formats: -o table|json|health+json|prometheus, or --nagios.\n\n"
                  "EXAMPLES:\n  golfops health\n  golfops health -o prometheus > "
                  "/var/lib/node_exporter/golfops.prom\n"
                  "  golfops health --http https://staging.example/health --nagios\n"
                  "  golfops health --watch --interval 5s");
  command->callback([&selected, flags, command] {
    if (!command->get_subcommands().empty()) {
      return; // `health wait` runs instead
    }
    auto options = options_for(*flags);
    auto interval = interval_from(flags->interval);
    selected.formats = {std::string(k_health_json), std::string(k_prometheus)};
    selected.run = [options, interval, flags](commands::Invocation& invocation) {
      if (flags->watch) {
        auto checks = checks_from(options, invocation.context.config);
        while (true) { // until SIGINT: Cancelled ends the sleep and the command
          invocation.show(render(run_checks(checks, invocation.context)));
          core::Cancellation::process().sleep_for(interval);
        }
      }
      auto result = run_health(options, invocation.context);
      commands::Outcome outcome{render(result), exit_code(result)};
      if (flags->nagios) {
        auto line = nagios(result);
        outcome.report.text = line.text + "\n";
        outcome.exit_status = line.status;
      }
      return outcome;
    };
  });

  auto* wait = command->add_subcommand(
      "wait", "Poll until every critical check passes (exit 0) or the timeout ends (exit 1)");
  wait->add_option("--timeout", flags->wait_timeout, "Give up after this long (default 2m)");
  wait->add_option(
      "--interval", flags->interval, "First pause between polls; grows to 4x (default 2s)");
  add_check_flags(wait, *flags);
  wait->footer("EXAMPLES:\n  docker compose up -d && golfops health wait --timeout 2m\n"
               "  golfops health wait --http http://127.0.0.1:8080/ready --interval 500ms");
  wait->callback([&selected, flags] {
    core::checks::WaitOptions wait_options;
    wait_options.timeout = core::parse_duration(flags->wait_timeout, "--timeout");
    wait_options.interval = interval_from(flags->interval);
    auto options = options_for(*flags);
    options.timeout.reset();
    selected.formats = {std::string(k_health_json), std::string(k_prometheus)};
    selected.run = [options, wait_options](commands::Invocation& invocation) {
      auto result = run_wait(options, wait_options, invocation.context);
      commands::Outcome outcome{render(result)};
      if (!result.ready) {
        outcome.exit_code = core::ExitCode::failed;
        for (const auto& check : result.last.checks) {
          if (!check.ok && check.critical) {
            outcome.errors.push_back(fmt::format(
                "{}: {}: {}", check.name, core::checks::to_string(check.reason), check.message));
          }
        }
      }
      return outcome;
    };
  });
}

} // namespace golfops::commands::health
