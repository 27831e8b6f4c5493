#include "commands/command.hpp"
#include "commands/health/health.hpp"
#include "core/cancel.hpp"
#include "core/checks/check.hpp"
#include "core/fs.hpp"
#include "core/http/client.hpp"
#include "core/output/textfile.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>

namespace golfops::commands::health {
namespace {

struct Flags {
  std::string timeout;
  std::vector<std::string> http;
  std::vector<std::string> tcp;
  std::vector<std::string> disk;
  std::string method;
  std::vector<std::string> headers;
  std::string body;
  std::string expect_status;
  std::vector<std::string> conditions;
  bool nagios = false;
  std::string metrics_file;
  bool watch = false;
  std::string interval = "2s";
  std::string wait_timeout = "2m";
};

constexpr std::string_view k_error_metric = "golfops_health_error";
constexpr std::string_view k_error_help = "1 when golfops itself could not run the checks.";

std::string success_metrics(const core::output::Report& report) {
  return report.alternates.at(std::string(k_prometheus)) +
         core::output::ok_metric(k_error_metric, k_error_help);
}

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
  // Request flags describe the --http checks; without one they mean nothing.
  auto needs_http = [&](bool given, std::string_view flag) {
    if (given && flags.http.empty()) {
      core::throw_usage(fmt::format("{}: applies to --http checks; add --http URL", flag));
    }
  };
  needs_http(!flags.method.empty(), "--method");
  needs_http(!flags.headers.empty(), "--header");
  needs_http(!flags.body.empty(), "--body");
  needs_http(!flags.expect_status.empty(), "--expect-status");
  needs_http(!flags.conditions.empty(), "--condition");
  if (!flags.method.empty()) {
    core::checks::require_method(flags.method, "--method");
    options.method = flags.method;
  }
  for (const auto& header : flags.headers) {
    options.headers.push_back(core::http::parse_header(header, "--header"));
  }
  options.body = flags.body;
  if (!flags.expect_status.empty()) {
    options.status = core::parse_count(flags.expect_status, "--expect-status");
    core::checks::require_status(options.status, "--expect-status");
  }
  for (const auto& condition : flags.conditions) {
    options.conditions.push_back(core::checks::parse_condition(condition, "--condition"));
  }
  return options;
}

void add_check_flags(CLI::App* command, Flags& flags) {
  command->add_option(
      "--http", flags.http, "Probe this URL (repeatable); replaces configured checks");
  command->add_option("--tcp", flags.tcp, "Connect to HOST:PORT (repeatable)");
  command->add_option("--disk", flags.disk, "Report free space of PATH (repeatable)");
  command->add_option("--method", flags.method, "--http: request method (default GET)");
  command->add_option(
      "--header", flags.headers, "--http: request header 'Name: value' (repeatable)");
  command->add_option("--body", flags.body, "--http: request body");
  command->add_option(
      "--expect-status", flags.expect_status, "--http: the status that passes (default 200)");
  command->add_option("--condition",
                      flags.conditions,
                      "--http: e.g. '$.status == \"ok\"', 'header.content-type contains json' "
                      "(repeatable)");
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
       [](const core::Error& error, const std::vector<std::string>&, std::ostream& out)
           -> std::optional<int> {
         auto line = nagios_unknown(error);
         out << line.text << "\n";
         return line.status;
       }});
  // With --metrics-file, a golfops failure (bad config, cannot start) is
  // written to the file, so the textfile collector sees it instead of stale
  // or missing values.
  selected.error_exits.push_back(commands::metrics_file_error_exit(
      "health", std::string(k_error_metric), std::string(k_error_help)));
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
  command->add_option("--metrics-file",
                      flags->metrics_file,
                      "Also write the Prometheus metrics to PATH atomically (node_exporter's "
                      "textfile collector); a golfops failure is written there too");
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
    if (!flags->metrics_file.empty()) {
      core::require_file_place(flags->metrics_file, "--metrics-file");
    }
    selected.formats = {std::string(k_health_json), std::string(k_prometheus)};
    selected.run = [options, interval, flags](commands::Invocation& invocation) {
      if (flags->watch) {
        auto checks = checks_from(options, invocation.context.config);
        while (true) { // until SIGINT: Cancelled ends the sleep and the command
          auto report = render(run_checks(checks, invocation.context));
          if (!flags->metrics_file.empty()) {
            core::output::write_textfile(flags->metrics_file, success_metrics(report));
          }
          invocation.show(report);
          core::Cancellation::process().sleep_for(interval);
        }
      }
      auto result = run_health(options, invocation.context);
      commands::Outcome outcome{render(result), exit_code(result)};
      if (!flags->metrics_file.empty()) {
        core::output::write_textfile(flags->metrics_file, success_metrics(outcome.report));
      }
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
    // `health --timeout 5s wait` would read as the wait's limit but is the
    // per-probe cap: refuse the ambiguous placement instead of guessing.
    if (!flags->timeout.empty()) {
      core::throw_usage(fmt::format(
          "--timeout {} before 'wait' is ambiguous: write 'health wait --timeout {}' for how long "
          "to wait, and a check's `timeout` in [[health.check]] for each probe",
          flags->timeout,
          flags->timeout));
    }
    auto options = options_for(*flags);
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
