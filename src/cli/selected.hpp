#pragma once

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <functional>
#include <map>
#include <string>
#include <utility>

namespace golfops::cli {

// What a command hands back to cli::main: the report to render and the exit
// code (a check that ran and failed is a result, not an exception).
struct Outcome {
  core::output::Report report = {};
  core::ExitCode exit_code = core::ExitCode::ok;
  std::vector<std::string> errors = {}; // one line each, written to stderr
};

struct Invocation {
  core::Context& context;
  core::output::Format format;
};

// The command chosen while parsing, run by cli::main after parsing ends.
struct Selected {
  std::function<Outcome(Invocation&)> run;
  // Commands like version and completion never read config, so start-up pays
  // nothing for it.
  bool needs_config = true;
  // config show / validate report problems instead of refusing to run.
  bool reports_config_problems = false;
  // Command flags that set config keys: key -> (value, "--flag").
  std::map<std::string, std::pair<std::string, std::string>> config_flags;
};

} // namespace golfops::cli
