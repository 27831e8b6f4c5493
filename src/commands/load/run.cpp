#include "build_info.hpp"
#include "commands/load/load.hpp"
#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/load/threshold.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace golfops::commands::load {
namespace {

std::string user_agent() {
  return fmt::format("golfops/{}", build_info::k_version);
}

std::function<void(const core::load::Progress&)>
show_progress(core::Context& context, std::string prefix, double seconds) {
  return [&context, prefix = std::move(prefix), seconds](const core::load::Progress& now) {
    auto elapsed = std::chrono::duration<double>(now.elapsed).count();
    context.progress.status(
        fmt::format("{}{:.0f}s{}  {} requests  {:.0f}/s  {} errors",
                    prefix,
                    elapsed,
                    seconds > 0 ? fmt::format("/{:.0f}s", seconds) : "",
                    now.requests,
                    elapsed > 0 ? static_cast<double>(now.requests) / elapsed : 0.0,
                    now.errors));
  };
}

double planned_seconds(const core::load::Plan& plan) {
  auto length = plan.schedule ? plan.schedule->duration() : plan.duration;
  return std::chrono::duration<double>(length).count();
}

// Whether a find-max step held: the SLO, and the rate actually reached.
void judge_step(Step& step) {
  step.sustained = true;
  for (const auto& [threshold, verdict] : step.verdicts) {
    if (!verdict.passed) {
      step.sustained = false;
      step.why = fmt::format("{} was {}", threshold.text, verdict.shown);
      return;
    }
  }
  // Requests that waited past --timeout for a connection: the server did
  // not keep up with the rate, whatever the latency of the rest.
  auto scheduled = step.result.total.requests;
  if (scheduled > 0 && step.result.unsent > scheduled / 100) {
    step.sustained = false;
    step.why = fmt::format("{} of {} requests never went out (every connection stayed busy)",
                           step.result.unsent,
                           scheduled);
    return;
  }
  if (!step.result.invalid.empty()) {
    step.sustained = false;
    step.why = "golfops could not keep up: " + step.result.invalid.front();
  }
}

} // namespace

bool LoadReport::passed() const {
  return std::all_of(
      verdicts.begin(), verdicts.end(), [](const auto& entry) { return entry.second.passed; });
}

std::vector<std::pair<core::load::Threshold, core::load::Verdict>>
judge(const std::vector<core::load::Threshold>& thresholds, const core::load::Result& result) {
  std::vector<std::pair<core::load::Threshold, core::load::Verdict>> verdicts;
  for (const auto& threshold : thresholds) {
    verdicts.emplace_back(threshold, core::load::evaluate(threshold, result));
  }
  return verdicts;
}

LoadReport run_load(const LoadOptions& options, core::Context& context) {
  auto plan = plan_for(options, user_agent());
  LoadReport report;
  report.result = core::load::run(plan, show_progress(context, "", planned_seconds(plan)));
  context.progress.finish();
  report.verdicts = judge(options.thresholds, report.result);
  return report;
}

FindMaxReport run_find_max(const LoadOptions& options, core::Context& context) {
  FindMaxReport report;
  report.slo = options.find_max.slo;
  bool has_error_budget = std::any_of(report.slo.begin(), report.slo.end(), [](const auto& slo) {
    return slo.metric == core::load::Threshold::Metric::error_rate;
  });
  if (!has_error_budget) {
    report.slo.push_back(core::load::parse_threshold("error_rate<1%", "--slo"));
  }
  // Doubling until the SLO breaks, then halving the gap between the last
  // rate that held and the first that did not, to within 10%.
  double rate = options.find_max.start_rate;
  std::optional<double> failed;
  constexpr int k_max_steps = 16;
  for (int index = 0; index < k_max_steps; ++index) {
    auto step_options = options;
    step_options.rate = rate;
    step_options.ramp.clear();
    step_options.duration = options.find_max.step;
    step_options.count = 0;
    auto plan = plan_for(step_options, user_agent());
    Step step;
    step.rate = rate;
    step.result = core::load::run(
        plan,
        show_progress(
            context, fmt::format("step {} at {:.0f}/s: ", index + 1, rate), planned_seconds(plan)));
    step.verdicts = judge(report.slo, step.result);
    judge_step(step);
    report.steps.push_back(step);
    if (step.result.interrupted) {
      report.interrupted = true;
      break;
    }
    if (!step.result.invalid.empty()) {
      // The generator's limit, not the server's: stepping on (or back)
      // would measure golfops.
      report.generator_limit = rate;
      break;
    }
    if (step.sustained) {
      report.highest = std::max(report.highest.value_or(0), rate);
    } else {
      failed = std::min(failed.value_or(rate), rate);
    }
    if (!failed) {
      if (rate >= options.find_max.max_rate) {
        break; // held at the ceiling the user set
      }
      rate = std::min(rate * 2, options.find_max.max_rate);
      continue;
    }
    auto low = report.highest.value_or(0);
    if (low == 0 || *failed - low <= low * 0.1) {
      break; // not even the first rate held, or the answer is within 10%
    }
    rate = std::round((low + *failed) / 2);
  }
  context.progress.finish();
  return report;
}

LoadReport run_merge(const std::vector<std::string>& files,
                     const std::vector<core::load::Threshold>& thresholds) {
  LoadReport report;
  bool first = true;
  for (const auto& file : files) {
    // A day's run at a histogram per second is a few hundred MiB.
    auto text = core::read_file(file, "FILES", 4ULL << 30);
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) {
      core::throw_usage(fmt::format("FILES: '{}' is not JSON (write results with golfops load -o "
                                    "json > FILE)",
                                    file));
    }
    auto result = core::load::from_json(json, file);
    if (first) {
      report.result = std::move(result);
      first = false;
    } else {
      core::load::merge(report.result, result);
    }
  }
  report.verdicts = judge(thresholds, report.result);
  return report;
}

} // namespace golfops::commands::load
