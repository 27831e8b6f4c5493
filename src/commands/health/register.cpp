#include "cli/selected.hpp"
#include "commands/health/health.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <memory>
#include <thread>

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

HealthOptions options_for(const Flags& flags) {
  HealthOptions options;
  if (!flags.timeout.empty()) {
    options.timeout = core::parse_duration(flags.timeout, "--timeout");
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

void register_health(CLI::App& app, cli::Selected& selected) {
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
    selected.nagios = flags->nagios;
    auto options = options_for(*flags);
    auto interval = core::parse_duration(flags->interval, "--interval");
    if (!command->get_subcommands().empty()) {
      return; // `health wait` runs instead
    }
    selected.run = [options, interval, flags](cli::Invocation& invocation) {
      if (flags->watch) {
        auto checks = checks_from(options, invocation.context.config);
        while (true) {
          invocation.show(render(run_checks(checks, invocation.context)));
          std::this_thread::sleep_for(interval);
        }
      }
      auto result = run_health(options, invocation.context);
      cli::Outcome outcome{render(result), exit_code(result)};
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
    WaitOptions wait_options;
    wait_options.timeout = core::parse_duration(flags->wait_timeout, "--timeout");
    wait_options.interval = core::parse_duration(flags->interval, "--interval");
    auto options = options_for(*flags);
    options.timeout.reset();
    selected.run = [options, wait_options](cli::Invocation& invocation) {
      auto result = run_wait(options, wait_options, invocation.context);
      cli::Outcome outcome{render(result)};
      if (!result.ready) {
        outcome.exit_code = core::ExitCode::failed;
        for (const auto& check : result.last.checks) {
          if (!check.ok && check.critical) {
            outcome.errors.push_back(
                fmt::format("{}: {}: {}", check.name, check.reason, check.message));
          }
        }
      }
      return outcome;
    };
  });
}

} // namespace golfops::commands::health
