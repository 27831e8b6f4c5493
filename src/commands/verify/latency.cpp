#include "build_info.hpp"
#include "commands/verify/builtin.hpp"
#include "core/error.hpp"
#include "core/load/plan.hpp"
#include "core/load/threshold.hpp"
#include "core/redact.hpp"

#include <fmt/format.h>

namespace golfops::commands::verify {

Outcome check_latency(const Settings& settings, Facts& facts) {
  const auto& burst = settings.latency;
  auto outcome = outcome_for(Builtin::latency, settings, burst.path);
  auto [origin, target] = core::load::split_url(settings.base_url + burst.path, "--base-url");
  origin.ca_file = settings.ca_file;
  core::load::Plan plan;
  plan.display = core::redact_url(settings.base_url + burst.path);
  plan.origin = origin;
  plan.requests.push_back({.name = burst.path, .target = target});
  plan.user_agent = fmt::format("golfops/{} (verify)", build_info::k_version);
  plan.connections = burst.connections;
  plan.threads = 1;
  plan.schedule.emplace(
      burst.rate,
      std::vector<core::load::Stage>{{std::chrono::nanoseconds(burst.duration), burst.rate}});
  plan.connect_timeout = std::min(settings.timeout, core::Milliseconds(5000));
  plan.timeout = settings.timeout;
  core::load::Result result;
  try {
    result = core::load::run(plan, [](const core::load::Progress&) {});
  } catch (const core::Cancelled&) {
    throw;
  } catch (const core::Error& error) {
    fail_with(outcome, error);
    return outcome;
  }
  facts.latency = result;
  const auto& latency = result.total.latency;
  auto summary = fmt::format(
      "{} requests at {:.0f}/s: p50 {} p95 {} p99 {}, {} errors{}",
      result.total.requests,
      burst.rate,
      core::load::format_latency(static_cast<double>(latency.percentile(0.50).count())),
      core::load::format_latency(static_cast<double>(latency.percentile(0.95).count())),
      core::load::format_latency(static_cast<double>(latency.percentile(0.99).count())),
      result.total.errors_total(),
      result.total.throttled > 0
          ? fmt::format(", {} throttled (429: pick a path no rule limits)", result.total.throttled)
          : "");
  std::vector<std::string> missed;
  for (const auto& threshold : burst.slo) {
    auto verdict = core::load::evaluate(threshold, result);
    if (!verdict.passed) {
      missed.push_back(fmt::format("{} was {}", threshold.text, verdict.shown));
    }
  }
  if (!missed.empty()) {
    fail(outcome,
         core::checks::Reason::latency,
         fmt::format("missed the SLO: {} ({}){}",
                     fmt::join(missed, ", "),
                     summary,
                     result.invalid.empty()
                         ? ""
                         : "; golfops itself could not keep up: " + result.invalid.front()));
    return outcome;
  }
  outcome.status = Status::pass;
  outcome.message = summary;
  return outcome;
}

} // namespace golfops::commands::verify
