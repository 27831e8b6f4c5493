#include "commands/command.hpp"
#include "commands/load/load.hpp"
#include "commands/load/scenario.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/http/client.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <memory>

namespace golfops::commands::load {
namespace {

struct Flags {
  std::string url;
  std::string connections;
  std::string threads;
  std::string duration;
  std::string requests;
  std::string rate;
  std::string ramp;
  std::string method;
  std::vector<std::string> headers;
  std::string body;
  std::string body_file;
  std::string expect_status;
  bool no_keepalive = false;
  std::string connect_timeout;
  std::string timeout;
  std::string ca_file;
  bool insecure = false;
  std::string scenario;
  std::vector<std::string> thresholds;
  std::string html;
  bool find_max = false;
  std::vector<std::string> slo;
  std::string start_rate;
  std::string max_rate;
  std::string step;
  std::vector<std::string> merge_files;
};

constexpr std::uint64_t k_max_connections = 20000;

std::uint64_t bounded_count(const std::string& text,
                            std::string_view field,
                            std::uint64_t low,
                            std::uint64_t high) {
  auto value = core::parse_count(text, field, low);
  if (value > high) {
    core::throw_usage(fmt::format("{}: '{}' is more than {} allowed", field, text, high));
  }
  return value;
}

// One --ramp stage's length: at most a day, so it converts to nanoseconds.
std::chrono::nanoseconds stage_length(std::string_view text) {
  auto length = core::parse_duration(text, "--ramp");
  if (length > std::chrono::hours(24)) {
    core::throw_usage(
        fmt::format("--ramp: stage '{}' is longer than 24h, the most one run takes", text));
  }
  return length;
}

// --ramp 30s (from 0 to --rate over 30s, then hold), or stages
// '30s:500/s,60s:500/s,10s:0' each moving linearly from the last.
std::vector<core::load::Stage> parse_ramp(const std::string& text, std::optional<double> rate) {
  std::vector<core::load::Stage> stages;
  if (text.find(':') == std::string::npos) {
    if (!rate) {
      core::throw_usage(
          fmt::format("--ramp: '{}' ramps up to --rate, which is missing (or give stages like "
                      "'30s:500/s,60s:500/s')",
                      text));
    }
    stages.push_back({stage_length(text), *rate});
    return stages;
  }
  for (const auto& part : core::split(text, ',')) {
    auto colon = part.find(':');
    if (colon == std::string::npos) {
      core::throw_usage(fmt::format(
          "--ramp: stage '{}' is not DURATION:RATE (e.g. '30s:500/s,60s:500/s')", part));
    }
    auto duration = stage_length(part.substr(0, colon));
    auto target = part.substr(colon + 1) == "0"
                      ? 0.0
                      : core::load::parse_rate(part.substr(colon + 1), "--ramp");
    stages.push_back({std::chrono::nanoseconds(duration), target});
  }
  return stages;
}

core::Milliseconds positive_duration(const std::string& text, std::string_view field) {
  auto value = core::parse_duration(text, field);
  if (value.count() <= 0) {
    core::throw_usage(fmt::format("{}: '{}' must be more than 0", field, text));
  }
  return value;
}

LoadOptions options_for(const Flags& flags) {
  LoadOptions options;
  if (flags.url.empty() == flags.scenario.empty()) {
    core::throw_usage(flags.url.empty()
                          ? "load: give a URL or --scenario FILE (e.g. golfops load "
                            "http://127.0.0.1:8080/health -d 10s)"
                          : "load: a URL and --scenario both given (the scenario names its URLs)");
  }
  options.url = flags.url;
  options.scenario = flags.scenario;
  auto url_only = [&](bool given, std::string_view flag) {
    if (given && !flags.scenario.empty()) {
      core::throw_usage(fmt::format(
          "{}: describes the URL's request; a scenario sets it per request in its file", flag));
    }
  };
  url_only(!flags.method.empty(), "--method");
  url_only(!flags.headers.empty(), "--header");
  url_only(!flags.body.empty(), "--body");
  url_only(!flags.body_file.empty(), "--body-file");
  url_only(!flags.expect_status.empty(), "--expect-status");
  if (!flags.url.empty()) {
    core::load::split_url(flags.url, "URL"); // refused now, before anything runs
    for (const auto& secret : core::url_secrets(flags.url)) {
      core::register_secret(secret);
    }
  }
  if (!flags.scenario.empty()) {
    options.scenario_requests = read_scenario(flags.scenario);
  }
  if (!flags.method.empty()) {
    auto method = flags.method;
    std::transform(method.begin(), method.end(), method.begin(), ::toupper);
    if (method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
      core::throw_usage(fmt::format("--method: '{}' is not an HTTP method", flags.method));
    }
    options.request.method = method;
  }
  for (const auto& header : flags.headers) {
    options.request.headers.push_back(core::http::parse_header(header, "--header"));
  }
  if (!flags.body.empty() && !flags.body_file.empty()) {
    core::throw_usage("--body and --body-file both given (give one)");
  }
  options.request.body =
      flags.body_file.empty() ? flags.body : core::read_file(flags.body_file, "--body-file");
  if (!flags.expect_status.empty()) {
    options.request.expect_status = parse_statuses(flags.expect_status, "--expect-status");
  }
  if (!flags.connections.empty()) {
    options.connections =
        static_cast<int>(bounded_count(flags.connections, "--connections", 1, k_max_connections));
  }
  if (!flags.threads.empty()) {
    options.threads = static_cast<int>(bounded_count(flags.threads, "--threads", 1, 256));
  }
  if (!flags.duration.empty()) {
    options.duration = positive_duration(flags.duration, "--duration");
    if (options.duration > std::chrono::hours(24)) {
      core::throw_usage(fmt::format("--duration: '{}' is longer than 24h, the most one run takes",
                                    flags.duration));
    }
  }
  if (!flags.requests.empty()) {
    options.count = bounded_count(flags.requests, "--requests", 1, 1000000000000ULL);
  }
  if (options.duration.count() == 0 && options.count == 0) {
    options.duration = std::chrono::seconds(10); // as wrk: bounded unless told otherwise
  }
  if (!flags.rate.empty()) {
    options.rate = core::load::parse_rate(flags.rate, "--rate");
  }
  if (!flags.ramp.empty()) {
    options.ramp = parse_ramp(flags.ramp, options.rate);
    if (!options.rate) {
      options.rate = options.ramp.back().target; // stages alone: hold the last rate
      if (*options.rate <= 0) {
        options.rate = 1e-9; // ends at 0: the stages are the whole run
      }
    }
    std::chrono::nanoseconds ramped{0};
    for (const auto& stage : options.ramp) {
      ramped += stage.duration;
    }
    auto ramped_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ramped);
    bool stages = flags.ramp.find(':') != std::string::npos;
    if (flags.duration.empty() && flags.requests.empty()) {
      // --ramp 30s: up, then hold as long as a run lasts by default;
      // stages: exactly the stages, as k6 runs them.
      options.duration = stages ? ramped_ms : ramped_ms + options.duration;
    } else if (!flags.duration.empty() && std::chrono::nanoseconds(options.duration) < ramped) {
      core::throw_usage(fmt::format("--duration: '{}' is shorter than the --ramp stages ({})",
                                    flags.duration,
                                    core::format_duration(ramped_ms)));
    }
  }
  if (options.rate) {
    // The open model's whole length, bounded like -d: ramp and hold, or
    // as long as -n takes at the rate.
    double seconds = static_cast<double>(options.duration.count()) / 1000;
    if (flags.duration.empty() && options.count > 0) {
      double ramped = 0;
      for (const auto& stage : options.ramp) {
        ramped += std::chrono::duration<double>(stage.duration).count();
      }
      seconds = ramped + static_cast<double>(options.count) / *options.rate;
    }
    if (seconds <= 0 || seconds > 24 * 3600) {
      core::throw_usage(fmt::format(
          "--rate: {} would run {} (expected more than 0 and at most 24h; set -d, -n or --ramp)",
          flags.rate.empty() ? flags.ramp : flags.rate,
          seconds <= 0 ? "for no time" : fmt::format("for {:.1f} h", seconds / 3600)));
    }
  }
  options.keepalive = !flags.no_keepalive;
  if (!flags.connect_timeout.empty()) {
    options.connect_timeout = positive_duration(flags.connect_timeout, "--connect-timeout");
  }
  if (!flags.timeout.empty()) {
    options.timeout = positive_duration(flags.timeout, "--timeout");
  }
  options.ca_file = flags.ca_file;
  if (!flags.ca_file.empty()) {
    core::read_file(flags.ca_file, "--ca-file"); // readable now, not after connecting
  }
  options.insecure = flags.insecure;
  for (const auto& threshold : flags.thresholds) {
    options.thresholds.push_back(core::load::parse_threshold(threshold, "--threshold"));
  }
  options.html = flags.html;
  options.find_max.enabled = flags.find_max;
  auto find_max_only = [&](bool given, std::string_view flag) {
    if (given && !flags.find_max) {
      core::throw_usage(fmt::format("{}: applies to --find-max; add --find-max", flag));
    }
  };
  find_max_only(!flags.slo.empty(), "--slo");
  find_max_only(!flags.start_rate.empty(), "--start-rate");
  find_max_only(!flags.max_rate.empty(), "--max-rate");
  find_max_only(!flags.step.empty(), "--step");
  if (flags.find_max) {
    if (flags.slo.empty()) {
      core::throw_usage("--find-max: needs --slo, e.g. --slo 'p99<100ms'");
    }
    if (!flags.rate.empty() || !flags.ramp.empty() || !flags.requests.empty() ||
        !flags.duration.empty()) {
      core::throw_usage("--find-max: sets the rate and length of each step itself; use "
                        "--start-rate, --max-rate and --step instead of --rate, --ramp, -n, -d");
    }
    for (const auto& slo : flags.slo) {
      options.find_max.slo.push_back(core::load::parse_threshold(slo, "--slo"));
    }
    if (!flags.start_rate.empty()) {
      options.find_max.start_rate = core::load::parse_rate(flags.start_rate, "--start-rate");
    }
    if (!flags.max_rate.empty()) {
      options.find_max.max_rate = core::load::parse_rate(flags.max_rate, "--max-rate");
    }
    if (options.find_max.max_rate < options.find_max.start_rate) {
      core::throw_usage(fmt::format("--max-rate: {:.0f}/s{} is below --start-rate {:.0f}/s",
                                    options.find_max.max_rate,
                                    flags.max_rate.empty() ? " (the default)" : "",
                                    options.find_max.start_rate));
    }
    if (!flags.step.empty()) {
      options.find_max.step = positive_duration(flags.step, "--step");
      if (options.find_max.step < std::chrono::seconds(1) ||
          options.find_max.step > std::chrono::minutes(10)) {
        core::throw_usage(fmt::format(
            "--step: '{}' must be from 1s to 10m (each rate is held this long)", flags.step));
      }
    }
    if (!flags.thresholds.empty() || !flags.html.empty()) {
      core::throw_usage("--find-max: reports its steps; --threshold and --html are for one run");
    }
  }
  if (!flags.html.empty()) {
    core::require_file_place(flags.html, "--html");
  }
  return options;
}

// Exit 1 when a threshold failed, 130 when interrupted (the partial
// result is still shown).
commands::Outcome
outcome_of(const LoadReport& report, const std::filesystem::path& html, bool live = true) {
  commands::Outcome outcome{render(report)};
  if (!html.empty()) {
    core::write_named_file(html, html_report(report), 0644);
    outcome.report.notes.push_back(fmt::format("report: {}", html.string()));
  }
  if (live && report.result.interrupted) {
    outcome.exit_code = core::ExitCode::interrupted;
    return outcome;
  }
  for (const auto& [threshold, verdict] : report.verdicts) {
    if (!verdict.passed) {
      outcome.exit_code = core::ExitCode::failed;
      outcome.errors.push_back(fmt::format(
          "threshold {} failed: observed {}{}",
          threshold.text,
          verdict.shown,
          report.result.invalid.empty() ? "" : " (on an invalid run: see INVALID above)"));
    }
  }
  return outcome;
}

void add_request_flags(CLI::App* command, Flags& flags) {
  command->add_option("-m,--method", flags.method, "Request method (default GET)");
  command->add_option("-H,--header", flags.headers, "Request header 'Name: value' (repeatable)");
  command->add_option("--body", flags.body, "Request body");
  command->add_option("--body-file", flags.body_file, "Request body from a file");
  command->add_option("--expect-status",
                      flags.expect_status,
                      "Statuses that succeed, e.g. 200 or 200,201 (default: any below 400; 429 "
                      "counts as throttled)");
}

} // namespace

void register_load(CLI::App& app, commands::Selected& selected) {
  auto flags = std::make_shared<Flags>();
  auto* command = app.add_subcommand(
      "load", "HTTP load test: closed (-c) or open (--rate) model, thresholds, reports (bounded)");
  command->add_option("URL", flags->url, "The URL to load (or --scenario FILE)");
  command->add_option("-c,--connections", flags->connections, "Connections kept open (default 50)");
  command->add_option(
      "-t,--threads", flags->threads, "Threads driving them (default: one per two cores)");
  command->add_option("-d,--duration", flags->duration, "How long, e.g. 30s (default 10s)");
  command->add_option("-n,--requests", flags->requests, "Stop after this many requests");
  command->add_option("--rate",
                      flags->rate,
                      "Open model: send this many per second whatever the server does, e.g. "
                      "500/s; latency counts from when each request was due");
  command->add_option(
      "--ramp",
      flags->ramp,
      "Open model: reach --rate over this long (30s), or stages '30s:500/s,60s:500/s'");
  add_request_flags(command, *flags);
  command->add_flag("--no-keepalive", flags->no_keepalive, "A new connection for every request");
  command->add_option(
      "--connect-timeout", flags->connect_timeout, "Give up connecting after (default 5s)");
  command->add_option(
      "--timeout", flags->timeout, "Give up on an answer after (default 10s): a timeout error");
  command->add_option("--ca-file", flags->ca_file, "https: trust this CA bundle");
  command->add_flag(
      "--insecure", flags->insecure, "https: do not check the certificate (test servers only)");
  command->add_option("--scenario",
                      flags->scenario,
                      "Several weighted requests from a TOML file (see docs/load.md)");
  command->add_option(
      "--threshold",
      flags->thresholds,
      "Fail (exit 1) unless it holds: 'p95<50ms', 'error_rate<1%', 'rps>1000' (repeatable)");
  command->add_option(
      "--html", flags->html, "Also write a self-contained HTML report with charts here");
  command->add_flag("--find-max",
                    flags->find_max,
                    "Step the open-model rate up until --slo breaks; report the highest rate held");
  command->add_option("--slo", flags->slo, "--find-max: e.g. 'p99<100ms' (repeatable)");
  command->add_option(
      "--start-rate", flags->start_rate, "--find-max: the first rate (default 50/s)");
  command->add_option("--max-rate", flags->max_rate, "--find-max: never above (default 100000/s)");
  command->add_option(
      "--step", flags->step, "--find-max: how long each rate is held (default 10s)");
  command->footer(
      "EXAMPLES:\n  golfops load http://127.0.0.1:8080/health -c 50 -d 30s\n"
      "  golfops load https://staging.example/api/games --rate 500/s --ramp 30s -d 90s "
      "--threshold 'p99<200ms'\n"
      "  golfops load --scenario launch.toml -d 60s --html report.html -o json > run-a.json\n"
      "  golfops load merge run-a.json run-b.json --threshold 'p95<50ms'\n"
      "  golfops load http://127.0.0.1:8080/api/games --find-max --slo 'p99<100ms'");
  command->callback([&selected, flags, command] {
    if (!command->get_subcommands().empty()) {
      return; // `load merge` runs instead
    }
    auto options = options_for(*flags);
    selected.needs_config = false; // everything load needs is on its command line
    selected.run = [options](commands::Invocation& invocation) {
      if (options.find_max.enabled) {
        auto report = run_find_max(options, invocation.context);
        commands::Outcome outcome{render(report)};
        outcome.exit_code = report.interrupted ? core::ExitCode::interrupted
                            : report.highest   ? core::ExitCode::ok
                                               : core::ExitCode::failed;
        return outcome;
      }
      return outcome_of(run_load(options, invocation.context), options.html);
    };
  });

  auto* merge = command->add_subcommand(
      "merge", "Merge result files (-o json) from several generators into one result, exactly");
  merge->add_option("FILES", flags->merge_files, "Result files written by golfops load -o json")
      ->required();
  merge->add_option("--threshold", flags->thresholds, "Fail (exit 1) unless it holds (repeatable)");
  merge->add_option("--html", flags->html, "Also write the merged HTML report here");
  merge->footer("EXAMPLES:\n  golfops load merge a.json b.json c.json\n"
                "  golfops load merge results/*.json --threshold 'p99<200ms' --html all.html");
  merge->callback([&selected, flags] {
    if (flags->merge_files.size() < 1) {
      core::throw_usage("merge: give the result files to merge");
    }
    std::vector<core::load::Threshold> thresholds;
    for (const auto& threshold : flags->thresholds) {
      thresholds.push_back(core::load::parse_threshold(threshold, "--threshold"));
    }
    std::filesystem::path html = flags->html;
    if (!html.empty()) {
      core::require_file_place(html, "--html");
    }
    auto files = flags->merge_files;
    selected.needs_config = false;
    selected.run = [files, thresholds, html](commands::Invocation&) {
      return outcome_of(run_merge(files, thresholds), html, false);
    };
  });
}

} // namespace golfops::commands::load
