#pragma once

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace golfops::commands {

// What a command hands back to cli::main: the report to render and the exit
// code (a check that ran and failed is a result, not an exception).
struct Outcome {
  core::output::Report report = {};
  core::ExitCode exit_code = core::ExitCode::ok;
  // What went wrong, written to stderr as one diagnostic (one JSON record
  // with --log-format json, `error_fields` as its keys); a line each in text.
  std::vector<std::string> errors = {};
  std::map<std::string, std::string> error_fields = {};
  // A command with its own exit convention (health --nagios: 0/1/2/3).
  std::optional<int> exit_status = {};
};

struct Invocation {
  core::Context& context;
  // -o: "table", "json", or one of the formats the command declared.
  std::string format;
  // Shows an intermediate report now (health --watch redraws with it); the
  // final one is the Outcome's.
  std::function<void(const core::output::Report&)> show = {};
};

// How a family reports an error under its own convention (Nagios: one
// UNKNOWN line on stdout, exit 3; a metrics file that says golfops failed).
// `words` is the command line, so it applies even when parsing itself
// failed. `report` returns the exit status, or nullopt to leave the usual
// stderr line and exit code in place (after a side effect of its own).
struct ErrorExit {
  std::function<bool(const std::vector<std::string>& words)> applies;
  std::function<std::optional<int>(
      const core::Error& error, const std::vector<std::string>& words, std::ostream& out)>
      report;
};

// The ErrorExit of a family with --metrics-file: a golfops failure (bad
// config, cannot start) is written to the file as `<metric>{reason} 1`, so
// the textfile collector sees it instead of stale or missing values; not
// when `already_written` says the run wrote the file itself.
ErrorExit metrics_file_error_exit(std::string family,
                                  std::string metric,
                                  std::string help,
                                  std::function<bool()> already_written = {});

// The command chosen while parsing, run by cli::main after parsing ends.
struct Selected {
  std::function<Outcome(Invocation&)> run;
  // Output formats the chosen command renders beyond table and json
  // (health: "health+json", "prometheus"); -o anything else is a usage error.
  std::vector<std::string> formats = {};
  // Commands like version and completion never read config, so start-up pays
  // nothing for it.
  bool needs_config = true;
  // Cron's commands (backup, prune): with stdout not a terminal, a success
  // prints nothing (cron mails any output) unless --verbose or -o asks.
  bool silent_unless_terminal = false;
  // config show / validate report problems instead of refusing to run.
  bool reports_config_problems = false;
  // Command flags that set config keys: key -> (value, "--flag").
  std::map<std::string, std::pair<std::string, std::string>> config_flags;
  // Family exit conventions for errors, registered with the family.
  std::vector<ErrorExit> error_exits = {};
};

} // namespace golfops::commands
