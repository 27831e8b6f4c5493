#pragma once

#include "core/context.hpp"
#include "core/output/report.hpp"

#include <filesystem>
#include <string>

namespace golfops::commands::dev {

struct DevOptions {
  std::filesystem::path state_dir; // empty: dev.state_dir or the default
  bool purge = false;              // down: also delete the state directory
  bool yes = false;                // down --purge: do not ask (needed without a terminal)
};

struct ServerState {
  std::string name; // postgres | redis
  std::string address;
  int pid = 0;
  bool running = false;
};

struct DevResult {
  std::string action; // up | down | status
  std::filesystem::path state_dir;
  std::filesystem::path config_file;
  std::string run_as; // the unprivileged user the servers run as, when started by root
  std::vector<ServerState> servers;
  bool already = false; // up: was already up; down: was already down
};

// Starts a throwaway PostgreSQL 15 and Redis on free 127.0.0.1 ports under the
// state directory, with generated passwords, and writes a golfops.toml that
// points at them. Idempotent: a second `up` reports the running servers.
// No path or value passes through a shell. When a step fails, what this run
// started is stopped again and the Error names the step.
DevResult run_dev_up(const DevOptions& options, core::Context& context);
// Stops the servers golfops started: PostgreSQL with pg_ctl once its pid is
// checked to still be that server, Redis with an authenticated SHUTDOWN.
// Throws Error(failed) naming a server that did not stop. With --purge it
// asks first (or needs --yes) and otherwise throws Error(refused), changing nothing.
DevResult run_dev_down(const DevOptions& options, core::Context& context);
DevResult run_dev_status(const DevOptions& options, core::Context& context);

core::output::Report render(const DevResult& result);

// Adds the family's config keys to the schema (called when it registers).
void add_config_keys();

} // namespace golfops::commands::dev
