#pragma once

#include "commands/load/scenario.hpp"
#include "core/context.hpp"
#include "core/load/plan.hpp"
#include "core/load/result.hpp"
#include "core/load/threshold.hpp"
#include "core/output/report.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::load {

// What `golfops load` was asked, from flags (register.cpp).
struct LoadOptions {
  std::string url;                 // or a scenario file
  std::filesystem::path scenario;  // --scenario: weighted requests (TOML)
  Scenario scenario_requests;      // read from it while parsing flags
  core::load::RequestSpec request; // method, headers, body, expected status for `url`
  int connections = 50;
  std::optional<int> threads; // default: one per two cores
  std::chrono::milliseconds duration{0};
  std::uint64_t count = 0;    // -n
  std::optional<double> rate; // open model, per second
  // Open model: the stages after which the rate holds (--ramp).
  std::vector<core::load::Stage> ramp;
  core::Milliseconds connect_timeout{5000};
  core::Milliseconds timeout{10000};
  bool keepalive = true;
  std::string ca_file;
  bool insecure = false;
  std::vector<core::load::Threshold> thresholds;
  std::filesystem::path html; // --html: the report file

  struct FindMax {
    bool enabled = false;
    std::vector<core::load::Threshold> slo; // with error_rate<1% unless it says otherwise
    double start_rate = 50;
    double max_rate = 100000;
    std::chrono::milliseconds step{10000};
  } find_max;
};

// One run's result with the thresholds judged.
struct LoadReport {
  core::load::Result result;
  std::vector<std::pair<core::load::Threshold, core::load::Verdict>> verdicts;
  bool passed() const;
};

// find-max: each step's rate and how it went.
struct Step {
  double rate = 0;
  core::load::Result result;
  std::vector<std::pair<core::load::Threshold, core::load::Verdict>> verdicts;
  bool sustained = false;
  std::string why; // when not: the first SLO it broke
};
struct FindMaxReport {
  std::vector<Step> steps;
  std::optional<double> highest;         // the highest rate sustained
  std::optional<double> generator_limit; // the rate golfops itself could not keep up with
  std::vector<core::load::Threshold> slo;
  bool interrupted = false;
};

// The plan for the URL or scenario the options name. Throws Error(usage).
core::load::Plan plan_for(const LoadOptions& options, std::string user_agent);

LoadReport run_load(const LoadOptions& options, core::Context& context);
FindMaxReport run_find_max(const LoadOptions& options, core::Context& context);
// Reads result files and merges them; throws Error(usage) naming a bad file.
LoadReport run_merge(const std::vector<std::string>& files,
                     const std::vector<core::load::Threshold>& thresholds);

std::vector<std::pair<core::load::Threshold, core::load::Verdict>>
judge(const std::vector<core::load::Threshold>& thresholds, const core::load::Result& result);

core::output::Report render(const LoadReport& report);
core::output::Report render(const FindMaxReport& report);
// The self-contained HTML report (inline SVG charts, no scripts or fonts).
std::string html_report(const LoadReport& report);

} // namespace golfops::commands::load
