#pragma once

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace golfops::cli {

// What a command hands back to cli::main: the report to render and the exit
// code (a check that ran and failed is a result, not an exception).
struct Outcome {
  core::output::Report report = {};
  core::ExitCode exit_code = core::ExitCode::ok;
  std::vector<std::string> errors = {}; // one line each, written to stderr
  // A command with its own exit convention (health --nagios: 0/1/2/3).
  std::optional<int> exit_status = {};
};

struct Invocation {
  core::Context& context;
  core::output::Format format;
  // Shows an intermediate report now (health --watch redraws with it); the
  // final one is the Outcome's.
  std::function<void(const core::output::Report&)> show = {};
};

// The command chosen while parsing, run by cli::main after parsing ends.
struct Selected {
  std::function<Outcome(Invocation&)> run;
  // Commands like version and completion never read config, so start-up pays
  // nothing for it.
  bool needs_config = true;
  // config show / validate report problems instead of refusing to run.
  bool reports_config_problems = false;
  // Errors are reported as a Nagios UNKNOWN line with exit 3 (health --nagios).
  bool nagios = false;
  // Command flags that set config keys: key -> (value, "--flag").
  std::map<std::string, std::pair<std::string, std::string>> config_flags;
};

} // namespace golfops::cli
