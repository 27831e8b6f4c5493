#pragma once

#include "commands/migrate/source.hpp"
#include "commands/migrate/states.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::migrate {

struct MigrateOptions {
  std::filesystem::path dir = "migrations";
  // How errors name the directory: "--dir", "golfops.toml:3: migrate.dir".
  std::string dir_label = "migrate.dir";
  std::string schema = "public";
  std::string table = "golfops_schema_migrations";
  core::Milliseconds lock_wait{60000};
  core::Milliseconds ddl_lock_timeout{5000};
  int ddl_retries = 5;
  bool allow_out_of_order = false;
  std::string version_style = "sequential";
  bool version_style_set = false; // set in config or by a flag: overrides the directory's layout
  // Applied versions below this may have no file (old files archived away):
  // shown as archived, not reported missing.
  std::optional<Version> archived_below;

  std::optional<std::size_t> count;  // up N / down N
  std::optional<std::string> target; // --to V
  bool yes = false;                  // down/redo: confirmed
  std::string name;                  // create
  std::string version;               // baseline / force
  bool force_pending = false;        // force --pending: forget the version instead
};

// Options from the migrate.* config keys (flags reach them through config).
MigrateOptions options_from(const core::config::Config& config);

// One line of `status`: a file, an applied row, or both.
struct StatusRow {
  std::string version;
  std::string name;
  MigrationState state = MigrationState::pending;
  std::string applied_at;
  std::string file;
};

struct StatusResult {
  std::vector<StatusRow> rows;
  std::size_t applied = 0; // has a row in the state table and did not fail
  std::size_t pending = 0;
  std::size_t failed = 0;            // no-transaction migrations recorded as failed
  std::vector<std::string> problems; // edited, missing, out of order, failed
};

struct StepResult {
  std::string version;
  std::string name;
  Direction direction = Direction::up;
  std::int64_t execution_ms = 0;
  int attempts = 1;
};

struct RunResult {
  Direction direction = Direction::up;
  bool redo = false; // down then up again
  std::vector<StepResult> steps;
  std::size_t remaining = 0;    // pending after the run (up) or still applied (down)
  bool recorded_failed = false; // the failure was a no-transaction up, now in the table
  // SIGINT/SIGTERM stopped the run between or inside migrations (exit 130/143).
  std::optional<core::ExitCode> interrupted;
  std::vector<std::string> failure; // lines: file:line:column message, source line, what to do
  std::map<std::string, std::string> failure_fields; // file, line, column, sqlstate
  std::vector<std::string> invalid_indexes;          // left INVALID by the failed step, to drop
  int attempts = 0;                                  // of the failed step, retries included
};

struct PlanStep {
  std::string version;
  std::string name;
  Direction direction = Direction::up;
  bool transactional = true;
  std::string file;
  std::string sql; // exactly what is sent, wrappers included
};

struct PlanResult {
  Direction direction = Direction::up;
  std::string setup_sql; // creates the state table when `up` would have to
  std::vector<PlanStep> steps;
};

struct HistoryRow {
  std::string version;
  std::string name;
  RecordStatus status = RecordStatus::applied;
  std::string applied_at;
  std::string applied_by;
  std::int64_t execution_ms = 0;
  std::string error;
};

struct HistoryResult {
  std::vector<HistoryRow> rows; // oldest first
};

struct CreateResult {
  std::vector<std::string> files;
};

struct NoteResult {
  std::string message;
};

StatusResult run_status(const MigrateOptions& options, core::Context& context);
RunResult run_up(const MigrateOptions& options, core::Context& context);
RunResult run_down(const MigrateOptions& options, core::Context& context);
RunResult run_redo(const MigrateOptions& options, core::Context& context);
PlanResult run_plan(const MigrateOptions& options, Direction direction, core::Context& context);
StatusResult run_validate(const MigrateOptions& options, core::Context& context);
HistoryResult run_history(const MigrateOptions& options, core::Context& context);
CreateResult run_create(const MigrateOptions& options, core::Context& context);
// Records the migrations golang-migrate, dbmate or Flyway applied (read from
// their own table) as applied, so golfops takes over without running them
// again; refuses a dirty or failed state (exit 4).
NoteResult run_adopt(const MigrateOptions& options, core::Context& context);
NoteResult run_baseline(const MigrateOptions& options, core::Context& context);
NoteResult run_force(const MigrateOptions& options, core::Context& context);

core::output::Report render(const StatusResult& result);
core::output::Report render(const RunResult& result);
core::output::Report render(const PlanResult& result);
core::output::Report render(const HistoryResult& result);
core::output::Report render(const CreateResult& result);
core::output::Report render(const NoteResult& result);

// Adds the family's config keys to the schema (called when it registers).
void add_config_keys();

} // namespace golfops::commands::migrate
