#include "commands/verify/verify.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace golfops::commands::verify {
namespace {

using core::output::Table;

double rounded(double value) {
  return std::round(value * 1000) / 1000;
}

Table::Tone tone(const Outcome& check) {
  switch (check.status) {
  case Status::pass:
    return Table::Tone::good;
  case Status::skip:
    return Table::Tone::dim;
  case Status::fail:
    return check.critical ? Table::Tone::bad : Table::Tone::warn;
  }
  return Table::Tone::plain;
}

std::string shown_status(const Outcome& check) {
  switch (check.status) {
  case Status::pass:
    return "pass";
  case Status::skip:
    return "skip";
  case Status::fail:
    return check.critical ? "FAIL" : "warn";
  }
  return "FAIL";
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(rounded(*value)) : nlohmann::json();
}

} // namespace

core::output::Report render(const VerifyResult& result) {
  core::output::Report report;
  auto& json = report.json;
  json["base_url"] = result.base_url;
  json["passed"] = result.passed();
  json["seconds"] = rounded(result.seconds);
  json["rounds"] = result.rounds;
  json["interrupted"] = result.interrupted_by != 0;
  json["checks"] = nlohmann::json::array();
  int passed = 0;
  int failed = 0;
  int warned = 0;
  int skipped = 0;
  Table table({"check", "result", "time", "details"});
  table.align_right(2);
  for (const auto& check : result.checks) {
    json["checks"].push_back({{"name", check.name},
                              {"builtin", check.builtin},
                              {"status", to_string(check.status)},
                              {"critical", check.critical},
                              {"target", check.target},
                              {"reason", core::checks::to_string(check.reason)},
                              {"message", check.message},
                              {"seconds", rounded(check.seconds)},
                              {"attempts", check.attempts}});
    passed += check.status == Status::pass ? 1 : 0;
    skipped += check.status == Status::skip ? 1 : 0;
    failed += check.status == Status::fail && check.critical ? 1 : 0;
    warned += check.status == Status::fail && !check.critical ? 1 : 0;
    auto details = check.message;
    if (check.attempts > 1) {
      details += fmt::format(" [{} attempts]", check.attempts);
    }
    table.add_row(
        {{check.name},
         {shown_status(check), tone(check)},
         {check.status == Status::skip ? "" : fmt::format("{:.0f} ms", check.seconds * 1000)},
         {details, check.status == Status::fail ? tone(check) : Table::Tone::plain}});
  }
  json["summary"] = {
      {"passed", passed}, {"failed", failed}, {"warnings", warned}, {"skipped", skipped}};
  const auto& snapshot = result.snapshot;
  json["latency"] = {{"p50_ms", optional_number(snapshot.p50_ms)},
                     {"p95_ms", optional_number(snapshot.p95_ms)},
                     {"p99_ms", optional_number(snapshot.p99_ms)},
                     {"error_rate", optional_number(snapshot.error_rate)}};
  json["migration_version"] =
      snapshot.migration_version ? nlohmann::json(*snapshot.migration_version) : nlohmann::json();
  json["rules_revision"] =
      snapshot.rules_revision ? nlohmann::json(*snapshot.rules_revision) : nlohmann::json();
  report.tables.push_back(std::move(table));
  if (!result.baseline.empty()) {
    json["baseline"] = {{"file", result.baseline.string()},
                        {"comparisons", nlohmann::json::array()}};
    Table comparisons({"compared", "baseline", "now", "allowed", "result"});
    for (const auto& comparison : result.comparisons) {
      json["baseline"]["comparisons"].push_back({{"what", comparison.what},
                                                 {"before", comparison.before},
                                                 {"after", comparison.after},
                                                 {"allowed", comparison.allowed},
                                                 {"regressed", comparison.regressed}});
      comparisons.add_row({{comparison.what},
                           {comparison.before},
                           {comparison.after},
                           {comparison.allowed},
                           {comparison.regressed ? "REGRESSED" : "ok",
                            comparison.regressed ? Table::Tone::bad : Table::Tone::good}});
    }
    if (!comparisons.empty()) {
      report.tables.push_back(std::move(comparisons));
    }
  }
  json["saved_baseline"] = result.saved_baseline.empty()
                               ? nlohmann::json()
                               : nlohmann::json(result.saved_baseline.string());
  auto summary =
      fmt::format("{} passed, {} failed, {} skipped{} in {:.1f} s{}",
                  passed,
                  failed,
                  skipped,
                  warned > 0 ? fmt::format(", {} warning{}", warned, warned == 1 ? "" : "s") : "",
                  result.seconds,
                  result.rounds > 1 ? fmt::format(" ({} rounds)", result.rounds) : "");
  if (result.interrupted_by != 0) {
    report.notes.push_back(fmt::format("NOT verified: interrupted by {} ({})",
                                       result.interrupted_by == 15 ? "SIGTERM" : "SIGINT",
                                       summary));
    return report;
  }
  report.notes.push_back(
      fmt::format("{}: {}", result.passed() ? "verified" : "NOT verified", summary));
  if (!result.baseline.empty() && result.baseline_url != result.base_url) {
    report.notes.push_back(fmt::format("the baseline was taken against {}", result.baseline_url));
  }
  if (!result.saved_baseline.empty()) {
    report.notes.push_back(fmt::format("baseline saved to {}", result.saved_baseline.string()));
  }
  return report;
}

} // namespace golfops::commands::verify
