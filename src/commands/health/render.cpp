#include "commands/health/health.hpp"
#include "core/clock.hpp"
#include "core/redact.hpp"

#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <map>

namespace golfops::commands::health {
namespace {

using core::checks::CheckType;
using core::checks::to_string;

double rounded(double value) {
  return std::round(value * 1000) / 1000;
}

std::string overall(const HealthResult& result) {
  bool critical = false;
  bool warning = false;
  for (const auto& check : result.checks) {
    critical = critical || (!check.ok && check.critical);
    warning = warning || (!check.ok && !check.critical);
  }
  return critical ? "fail" : warning ? "warn" : "pass";
}

// Prometheus text format: label values escape \ " and newlines.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus(const HealthResult& result) {
  std::string up = "# HELP golfops_health_up 1 when the check passed, 0 when it failed.\n"
                   "# TYPE golfops_health_up gauge\n";
  std::string latency = "# HELP golfops_health_latency_seconds How long the check took.\n"
                        "# TYPE golfops_health_latency_seconds gauge\n";
  for (const auto& check : result.checks) {
    auto labels = fmt::format("check=\"{}\",type=\"{}\",severity=\"{}\"",
                              label(check.name),
                              to_string(check.type),
                              check.critical ? "critical" : "warning");
    up += fmt::format("golfops_health_up{{{},reason=\"{}\"}} {}\n",
                      labels,
                      to_string(check.reason),
                      check.ok ? 1 : 0);
    latency += fmt::format(
        "golfops_health_latency_seconds{{{}}} {:.6f}\n", labels, check.latency_ms / 1000.0);
  }
  // What people alert on besides up/down: one gauge per measured value.
  std::map<std::string, std::string> measured;
  for (const auto& check : result.checks) {
    for (const auto& measurement : check.measurements) {
      auto& lines = measured[measurement.name];
      if (lines.empty()) {
        lines = fmt::format("# HELP golfops_health_{0} Measured by the check ({0}).\n"
                            "# TYPE golfops_health_{0} gauge\n",
                            measurement.name);
      }
      lines += fmt::format("golfops_health_{}{{check=\"{}\",type=\"{}\"}} {}\n",
                           measurement.name,
                           label(check.name),
                           to_string(check.type),
                           measurement.value);
    }
  }
  std::string values;
  for (const auto& [name, lines] : measured) {
    values += lines;
  }
  return up + latency + values +
         fmt::format("# HELP golfops_health_duration_seconds Wall time for all checks.\n"
                     "# TYPE golfops_health_duration_seconds gauge\n"
                     "golfops_health_duration_seconds {:.6f}\n",
                     result.elapsed_ms / 1000.0);
}

// The application/health+json draft (draft-inadvisable-... "Health Check
// Response Format for HTTP APIs"): status pass|warn|fail and checks keyed
// "component:measurement".
std::string health_json(const HealthResult& result) {
  auto now = core::format_utc(std::chrono::system_clock::now());
  nlohmann::json document{{"status", overall(result)},
                          {"description", "golfops health"},
                          {"checks", nlohmann::json::object()}};
  for (const auto& check : result.checks) {
    auto status = check.ok ? "pass" : check.critical ? "fail" : "warn";
    nlohmann::json entry{{"componentId", check.target},
                         {"componentType",
                          check.type == CheckType::postgres || check.type == CheckType::redis
                              ? "datastore"
                          : check.type == CheckType::disk ? "system"
                                                          : "component"},
                         {"observedValue", rounded(check.latency_ms)},
                         {"observedUnit", "ms"},
                         {"status", status},
                         {"time", now}};
    if (!check.ok) {
      entry["output"] = core::redact(fmt::format("{}: {}", to_string(check.reason), check.message));
    }
    document["checks"][check.name + ":responseTime"] = nlohmann::json::array({entry});
  }
  return document.dump(2) + "\n";
}

} // namespace

core::output::Report render(const HealthResult& result) {
  using Tone = core::output::Table::Tone;
  core::output::Report report;
  auto& checks = report.json["checks"] = nlohmann::json::array();
  core::output::Table table({"check", "status", "latency", "target", "detail"});
  table.align_right(2);
  std::size_t passing = 0;
  std::size_t warnings = 0;
  for (const auto& check : result.checks) {
    passing += check.ok ? 1 : 0;
    warnings += !check.ok && !check.critical ? 1 : 0;
    checks.push_back(
        {{"name", check.name},
         {"kind", to_string(check.type)},
         {"target", check.target},
         {"severity", check.critical ? "critical" : "warning"},
         {"status", check.ok ? "pass" : "fail"},
         {"latency_ms", rounded(check.latency_ms)},
         {"reason", check.ok ? nlohmann::json(nullptr) : nlohmann::json(to_string(check.reason))},
         {"message", core::redact(check.message)}});
    auto failed_tone = check.critical ? Tone::bad : Tone::warn;
    table.add_row(
        {{check.name},
         {check.ok ? "pass"
                   : (check.critical ? "FAIL " : "WARN ") + std::string(to_string(check.reason)),
          check.ok ? Tone::good : failed_tone},
         {fmt::format("{:.1f} ms", check.latency_ms)},
         {check.target},
         {core::redact(check.message)}});
  }
  report.json["status"] = overall(result);
  report.json["elapsed_ms"] = rounded(result.elapsed_ms);
  report.tables.push_back(std::move(table));
  report.notes.push_back(fmt::format("{}/{} checks passed in {:.1f} ms{}",
                                     passing,
                                     result.checks.size(),
                                     result.elapsed_ms,
                                     warnings > 0 ? fmt::format(" ({} warning(s) only: not a "
                                                                "failure)",
                                                                warnings)
                                                  : ""));
  report.alternates[std::string(k_prometheus)] = prometheus(result);
  report.alternates[std::string(k_health_json)] = health_json(result);
  return report;
}

core::output::Report render(const WaitResult& result) {
  auto report = render(result.last);
  report.json["ready"] = result.ready;
  report.json["attempts"] = result.attempts;
  report.json["waited_ms"] = rounded(result.waited_ms);
  report.notes.push_back(result.ready ? fmt::format("ready after {} attempt(s), {:.1f} s",
                                                    result.attempts,
                                                    result.waited_ms / 1000.0)
                                      : fmt::format("not ready after {} attempt(s), {:.1f} s",
                                                    result.attempts,
                                                    result.waited_ms / 1000.0));
  return report;
}

} // namespace golfops::commands::health
