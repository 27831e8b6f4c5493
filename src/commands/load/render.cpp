#include "commands/load/load.hpp"
#include "core/load/threshold.hpp"
#include "core/units.hpp"

#include <fmt/format.h>

namespace golfops::commands::load {
namespace {

using Tone = core::output::Table::Tone;
using core::load::format_latency;

double nanoseconds(std::chrono::nanoseconds value) {
  return static_cast<double>(value.count());
}

std::string share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? "-"
                    : fmt::format("{:.2f}%",
                                  100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

core::output::Table latency_table(const core::Histogram& latency) {
  core::output::Table table({"min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"});
  for (std::size_t column = 0; column < 8; ++column) {
    table.align_right(column);
  }
  if (latency.count() == 0) {
    table.add_row({{"-"}, {"-"}, {"-"}, {"-"}, {"-"}, {"-"}, {"-"}, {"-"}});
    return table;
  }
  table.add_row({{format_latency(nanoseconds(latency.min()))},
                 {format_latency(nanoseconds(latency.mean()))},
                 {format_latency(nanoseconds(latency.percentile(0.50)))},
                 {format_latency(nanoseconds(latency.percentile(0.90)))},
                 {format_latency(nanoseconds(latency.percentile(0.95)))},
                 {format_latency(nanoseconds(latency.percentile(0.99)))},
                 {format_latency(nanoseconds(latency.percentile(0.999)))},
                 {format_latency(nanoseconds(latency.max()))}});
  return table;
}

// Every answer and every failure, so the counts visibly add up.
core::output::Table outcomes_table(const core::load::Tally& total,
                                   const std::vector<core::load::RequestSpec>* = nullptr) {
  core::output::Table table({"outcome", "count", "share"});
  table.align_right(1);
  table.align_right(2);
  for (const auto& [status, count] : total.statuses) {
    auto tone = status == 429 ? Tone::warn : status >= 400 ? Tone::bad : Tone::good;
    table.add_row({{fmt::format("HTTP {}{}", status, status == 429 ? " (throttled)" : ""), tone},
                   {std::to_string(count)},
                   {share(count, total.requests)}});
  }
  for (std::size_t kind = 0; kind < core::load::k_error_kinds; ++kind) {
    auto count = total.errors[kind];
    auto error_kind = static_cast<core::load::ErrorKind>(kind);
    if (count == 0 || error_kind == core::load::ErrorKind::status) {
      continue;
    }
    table.add_row({{fmt::format("{} error", core::load::to_string(error_kind)), Tone::bad},
                   {std::to_string(count)},
                   {share(count, total.requests)}});
  }
  return table;
}

core::output::Table requests_table(const core::load::Result& result) {
  core::output::Table table({"request", "requests", "errors", "p50", "p99", "max"});
  for (std::size_t column = 1; column < 6; ++column) {
    table.align_right(column);
  }
  for (const auto& [name, tally] : result.by_request) {
    table.add_row(
        {{name},
         {std::to_string(tally.requests)},
         {std::to_string(tally.errors_total()), tally.errors_total() > 0 ? Tone::bad : Tone::plain},
         {format_latency(nanoseconds(tally.latency.percentile(0.50)))},
         {format_latency(nanoseconds(tally.latency.percentile(0.99)))},
         {format_latency(nanoseconds(tally.latency.max()))}});
  }
  return table;
}

core::output::Table
verdicts_table(const std::vector<std::pair<core::load::Threshold, core::load::Verdict>>& verdicts) {
  core::output::Table table({"threshold", "observed", "result"});
  table.align_right(1);
  for (const auto& [threshold, verdict] : verdicts) {
    table.add_row({{threshold.text},
                   {verdict.shown},
                   {verdict.passed ? "pass" : "FAIL", verdict.passed ? Tone::good : Tone::bad}});
  }
  return table;
}

nlohmann::json
verdicts_json(const std::vector<std::pair<core::load::Threshold, core::load::Verdict>>& verdicts) {
  auto list = nlohmann::json::array();
  for (const auto& [threshold, verdict] : verdicts) {
    list.push_back(
        {{"threshold", threshold.text}, {"observed", verdict.shown}, {"passed", verdict.passed}});
  }
  return list;
}

std::string model_text(const core::load::Result& result) {
  auto model = result.model == "open"
                   ? fmt::format("open model, up to {:.0f}/s", result.rate.value_or(0))
                   : fmt::format("{} model", result.model);
  return fmt::format("{}, {} connection(s), {} thread(s){}",
                     model,
                     result.connections,
                     result.threads,
                     result.sources > 1 ? fmt::format(", {} runs merged", result.sources) : "");
}

} // namespace

core::output::Report render(const LoadReport& report) {
  const auto& result = report.result;
  core::output::Report out;
  out.json = core::load::to_json(result);
  out.compact_json = true;
  out.json["thresholds"] = verdicts_json(report.verdicts);
  out.json["passed"] = report.passed();

  out.tables.push_back(latency_table(result.total.latency));
  out.tables.push_back(outcomes_table(result.total));
  if (!result.by_request.empty()) {
    out.tables.push_back(requests_table(result));
  }
  if (!report.verdicts.empty()) {
    out.tables.push_back(verdicts_table(report.verdicts));
  }
  out.notes.push_back(fmt::format("{} ({})", result.target, model_text(result)));
  auto unexpected = result.total.errors[static_cast<std::size_t>(core::load::ErrorKind::status)];
  out.notes.push_back(fmt::format(
      "{} requests in {:.2f}s: {:.1f}/s; {} read ({}/s); errors {}{}",
      result.total.requests,
      result.seconds,
      result.rps(),
      core::format_size(result.total.bytes),
      core::format_size(static_cast<std::uint64_t>(
          result.seconds > 0 ? static_cast<double>(result.total.bytes) / result.seconds : 0)),
      share(result.total.errors_total(), result.total.requests),
      unexpected == 0 ? "" : fmt::format(" ({} answers with a status not expected)", unexpected)));
  if (result.total.throttled > 0) {
    const auto& retry = result.retry_after;
    out.notes.push_back(
        fmt::format("throttled: {} answers were 429 ({}); Retry-After {}{}",
                    result.total.throttled,
                    share(result.total.throttled, result.total.requests),
                    retry.with_header == 0 ? "never sent"
                    : retry.min_seconds == retry.max_seconds
                        ? fmt::format("{}s", retry.min_seconds)
                        : fmt::format("{}s to {}s", retry.min_seconds, retry.max_seconds),
                    retry.without_header > 0 && retry.with_header > 0
                        ? fmt::format(" ({} without one)", retry.without_header)
                        : ""));
  }
  if (result.model == "closed") {
    out.notes.push_back("closed model: each connection waits for an answer before sending again, "
                        "so a stalled server slows the senders and latency shows only requests "
                        "sent; use --rate for latency as users would see it");
  }
  if (result.queued > 0) {
    out.notes.push_back(fmt::format(
        "{} requests ({}) found every connection busy when due and waited up to {}; their "
        "latency counts from when they were due (more -c sends them on time)",
        result.queued,
        share(result.queued, result.total.requests),
        format_latency(static_cast<double>(result.max_queue_ns))));
  }
  if (result.unsent > 0) {
    out.notes.push_back(fmt::format(
        "{} requests waited longer than --timeout for a free connection: counted as timeouts, "
        "never sent (more -c, or the server cannot take this rate)",
        result.unsent));
  }
  for (const auto& warning : result.warnings) {
    out.notes.push_back("note: " + warning);
  }
  for (const auto& reason : result.invalid) {
    out.notes.push_back("INVALID: " + reason);
  }
  if (!result.invalid.empty() && !report.passed()) {
    out.notes.push_back("a threshold failed on an invalid run: the failure may be golfops', not "
                        "the server's");
  }
  if (result.interrupted) {
    out.notes.push_back(result.sources > 1
                            ? "interrupted: at least one merged run was stopped by Ctrl-C"
                            : "interrupted: these are the figures up to Ctrl-C");
  }
  return out;
}

core::output::Report render(const FindMaxReport& report) {
  core::output::Report out;
  auto steps = nlohmann::json::array();
  core::output::Table table({"rate", "achieved", "p50", "p95", "p99", "errors", "held", "why not"});
  for (std::size_t column = 0; column < 6; ++column) {
    table.align_right(column);
  }
  for (const auto& step : report.steps) {
    const auto& latency = step.result.total.latency;
    table.add_row({{fmt::format("{:.0f}/s", step.rate)},
                   {fmt::format("{:.0f}/s", step.result.rps())},
                   {format_latency(nanoseconds(latency.percentile(0.50)))},
                   {format_latency(nanoseconds(latency.percentile(0.95)))},
                   {format_latency(nanoseconds(latency.percentile(0.99)))},
                   {share(step.result.total.errors_total(), step.result.total.requests)},
                   {step.sustained ? "yes" : "no", step.sustained ? Tone::good : Tone::bad},
                   {step.why}});
    auto json = core::load::to_json(step.result);
    json.erase("timeline");
    steps.push_back({{"rate", step.rate},
                     {"sustained", step.sustained},
                     {"why", step.why},
                     {"slo", verdicts_json(step.verdicts)},
                     {"result", std::move(json)}});
  }
  auto slo = nlohmann::json::array();
  std::vector<std::string> slo_text;
  for (const auto& threshold : report.slo) {
    slo.push_back(threshold.text);
    slo_text.push_back(threshold.text);
  }
  out.json = {
      {"slo", slo},
      {"steps", steps},
      {"highest_sustained_rate",
       report.highest ? nlohmann::json(*report.highest) : nlohmann::json(nullptr)},
      {"generator_limit",
       report.generator_limit ? nlohmann::json(*report.generator_limit) : nlohmann::json(nullptr)},
      {"interrupted", report.interrupted}};
  out.tables.push_back(std::move(table));
  if (report.highest) {
    const auto* best = &report.steps.front();
    for (const auto& step : report.steps) {
      if (step.sustained && step.rate == *report.highest) {
        best = &step;
      }
    }
    out.notes.push_back(
        fmt::format("highest sustained rate: {:.0f}/s within {} (p99 {}, errors {})",
                    *report.highest,
                    fmt::join(slo_text, ", "),
                    format_latency(nanoseconds(best->result.total.latency.percentile(0.99))),
                    share(best->result.total.errors_total(), best->result.total.requests)));
  } else if (!report.steps.empty() && !report.generator_limit) {
    out.notes.push_back(fmt::format("no rate held: {:.0f}/s already broke the SLO ({})",
                                    report.steps.front().rate,
                                    report.steps.front().why));
  }
  if (report.generator_limit) {
    out.notes.push_back(fmt::format(
        "stopped at {:.0f}/s: golfops itself could not keep up there, so the server may sustain "
        "more than this shows; add --threads or run find-max's rates from several machines",
        *report.generator_limit));
  }
  if (report.interrupted) {
    out.notes.push_back("interrupted: the steps so far");
  }
  return out;
}

} // namespace golfops::commands::load
