#include "commands/migrate/migrate.hpp"

#include "commands/migrate/foreign.hpp"
#include "commands/migrate/history.hpp"
#include "commands/migrate/invalid_indexes.hpp"
#include "commands/migrate/location.hpp"
#include "commands/migrate/transactions.hpp"
#include "core/cancel.hpp"
#include "core/config/config.hpp"
#include "core/fs.hpp"
#include "core/pg/client.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <future>
#include <random>
#include <set>
#include <thread>

namespace golfops::commands::migrate {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view k_lock_not_available = "55P03";

std::int64_t elapsed_ms(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string label(const Migration& migration) {
  return fmt::format("{}_{}", migration.version_label, migration.name);
}

Version require_version(const std::string& text, std::string_view field) {
  auto version = parse_version(text);
  if (!version) {
    core::throw_usage(fmt::format("{}: '{}' is not a version (expected digits, e.g. 42 or "
                                  "20240101120000)",
                                  field,
                                  text));
  }
  return *version;
}

// A connection, the files and the state table, for one migrate command.
struct Session {
  // The files are read and hashed on a second thread while the connection is
  // set up (the server starts a backend, SCRAM runs): a no-op `status` takes
  // the longer of the two, not their sum.
  Session(const MigrateOptions& options, core::Context& context)
      : Session(options,
                context,
                std::async(std::launch::async, [dir = options.dir, label = options.dir_label] {
                  return load_migrations(dir, label);
                })) {}

  core::pg::Client client;
  std::vector<Migration> migrations;
  History history;

  const Migration* find(const Version& version) const {
    for (const auto& migration : migrations) {
      if (migration.version == version) {
        return &migration;
      }
    }
    return nullptr;
  }

private:
  Session(const MigrateOptions& options,
          core::Context& context,
          std::future<std::vector<Migration>> loading) try
      : client(core::pg::settings_from(context.config)), migrations(loading.get()),
        history(client, options.schema, options.table) {
  } catch (const core::Error&) {
    // A problem with the files (a usage error) is reported before an
    // unreachable database, as when the two ran one after the other; get()
    // rethrows it, otherwise the handler rethrows the connection's error.
    if (loading.valid()) {
      loading.get();
    }
  }
};

// Problems that make running migrations unsafe: applied files edited or gone,
// failed no-transaction migrations, pending files older than the newest applied.
struct Problems {
  std::vector<std::string> integrity;    // exit 1
  std::vector<std::string> out_of_order; // exit 4 unless allowed
};

// Whether an applied version may have no file: archived on purpose.
bool is_archived(const Version& version, const MigrateOptions& options) {
  return options.archived_below && version < *options.archived_below;
}

Problems check(const std::vector<Migration>& migrations,
               const std::map<Version, AppliedRow>& applied,
               const MigrateOptions& options) {
  Problems problems;
  std::optional<Version> newest;
  for (const auto& [version, row] : applied) {
    newest = version;
  }
  std::set<Version> on_disk;
  for (const auto& migration : migrations) {
    on_disk.insert(migration.version);
    auto row = applied.find(migration.version);
    if (row == applied.end()) {
      if (newest && migration.version < *newest) {
        problems.out_of_order.push_back(fmt::format(
            "{}: pending but older than the newest applied version {} (use --allow-out-of-order "
            "to apply it anyway)",
            migration.up.path.string(),
            newest->text()));
      }
      continue;
    }
    if (row->second.status == RecordStatus::failed) {
      problems.integrity.push_back(fmt::format(
          "{}: failed as a no-transaction migration and may be partly applied: {}; repair the "
          "database by hand, then run `golfops migrate force {}` (mark applied) or `golfops "
          "migrate force {} --pending` (run it again)",
          migration.up.path.string(),
          row->second.error,
          migration.version.text(),
          migration.version.text()));
    } else if (row->second.status != RecordStatus::baseline &&
               row->second.checksum != migration.checksum) {
      problems.integrity.push_back(fmt::format(
          "{}: edited after it was applied (checksum {} applied, {} on disk); restore the file, "
          "or add a new migration for the change",
          migration.up.path.string(),
          row->second.checksum.substr(0, 12),
          migration.checksum.substr(0, 12)));
    }
  }
  for (const auto& [version, row] : applied) {
    if (!on_disk.contains(version) && row.status != RecordStatus::baseline &&
        !is_archived(version, options)) {
      problems.integrity.push_back(fmt::format(
          "version {} ({}) is applied but its file is missing from the migrations directory{}",
          version.text(),
          row.name,
          options.archived_below
              ? std::string()
              : "; if old files were archived on purpose, set migrate.archived_below to the "
                "oldest version still on disk"));
    }
  }
  return problems;
}

// The exact text sent for one step, wrappers included (what `plan` prints).
struct Statements {
  std::string before; // BEGIN + lock_timeout
  std::string body;   // the file, as written
  std::string after;  // bookkeeping + COMMIT
};

Statements statements_for(const Migration& migration,
                          bool up,
                          const History& history,
                          const MigrateOptions& options,
                          std::int64_t execution_ms) {
  const auto& script = up ? migration.up : *migration.down;
  Statements statements;
  statements.body = runnable_sql(script);
  auto bookkeeping =
      up ? history.record_sql(migration, execution_ms) : history.forget_sql(migration.version);
  if (script.transactional) {
    statements.before =
        fmt::format("BEGIN;\nSET LOCAL lock_timeout = '{}ms';", options.ddl_lock_timeout.count());
    statements.after = bookkeeping + ";\nCOMMIT;";
  } else {
    statements.before = fmt::format("SET lock_timeout = '{}ms';", options.ddl_lock_timeout.count());
    statements.after = bookkeeping + ";\nRESET lock_timeout;";
  }
  return statements;
}

// The same facts as structured fields, for a JSON log record.
std::map<std::string, std::string>
failure_fields(const Migration& migration, bool up, const core::pg::QueryError& error) {
  const auto& script = up ? migration.up : *migration.down;
  auto location =
      locate(runnable_sql(script), error.position, error.statement_index, error.context);
  auto line = location.line == 0 ? 0 : location.line + script.first_line - 1;
  return {{"file", script.path.string()},
          {"line", std::to_string(line)},
          {"column", std::to_string(location.column)},
          {"sqlstate", error.sqlstate()},
          {"version", migration.version_label}};
}

std::vector<std::string> describe_failure(const Migration& migration,
                                          bool up,
                                          const core::pg::QueryError& error,
                                          bool transactional,
                                          bool persists) {
  const auto& script = up ? migration.up : *migration.down;
  auto location =
      locate(runnable_sql(script), error.position, error.statement_index, error.context);
  std::vector<std::string> lines;
  auto line = location.line == 0 ? 0 : location.line + script.first_line - 1;
  lines.push_back(fmt::format("{}:{}:{}: {} (SQLSTATE {})",
                              script.path.string(),
                              line,
                              location.column,
                              error.primary,
                              error.sqlstate()));
  if (line > 0) {
    lines.push_back(fmt::format("{:>6} | {}", line, location.text));
    if (location.column > 0) {
      lines.push_back(fmt::format("{:>6} | {}^", "", std::string(location.column - 1, ' ')));
    }
  }
  if (!error.detail.empty()) {
    lines.push_back("DETAIL: " + error.detail);
  }
  if (!error.hint.empty()) {
    lines.push_back("HINT: " + error.hint);
  }
  if (!error.context.empty()) {
    for (const auto& context : core::split(error.context, '\n')) {
      if (!context.empty()) {
        lines.push_back("CONTEXT: " + context);
      }
    }
  }
  if (transactional) {
    lines.push_back(fmt::format("{} was rolled back: nothing from it persists", label(migration)));
  } else if (!persists) {
    lines.push_back(fmt::format(
        "{} failed in its first statement, which left nothing behind: nothing from it persists",
        label(migration)));
  } else {
    lines.push_back(
        fmt::format("{} ran without a transaction and may be partly applied{}",
                    label(migration),
                    up ? "; it is recorded as failed (see `golfops migrate status`)" : ""));
  }
  return lines;
}

// Sends each statement on its own, as psql does, so statements that refuse a
// transaction block (CREATE INDEX CONCURRENTLY) run; errors keep pointing
// into the whole file. `done` counts the statements that completed.
void run_one_by_one(core::pg::Client& client, const std::string& sql, std::size_t& done) {
  auto ranges = statement_ranges(sql);
  for (done = 0; done < ranges.size(); ++done) {
    const auto& range = ranges[done];
    try {
      client.execute(sql.substr(range.begin, range.end - range.begin));
    } catch (core::pg::QueryError& error) {
      error.statement_index = done;
      if (error.position > 0) {
        error.position += characters_before(sql, range.begin);
      }
      throw;
    }
  }
}

// A no-transaction step that ran to its end but left an INVALID index (a
// rerun's CREATE INDEX CONCURRENTLY IF NOT EXISTS skips an invalid one):
// recorded as failed, never as applied.
class LeftInvalid : public core::Error {
public:
  LeftInvalid() : core::Error(core::ExitCode::failed, "left an INVALID index") {}
};

// What one step did, kept when it throws: the attempts made, the INVALID
// indexes it left, and why a lock timeout was not retried.
struct StepRun {
  StepResult step;
  std::size_t statements_done = 0; // no-transaction: completed, so persisting
  std::set<std::string> invalid;
  std::string not_retried;

  // Whether the failed or interrupted step changed nothing.
  bool nothing_persists(const Script& script) const {
    return script.transactional || (statements_done == 0 && invalid.empty());
  }
};

// Indexes the step left INVALID: new since `before`, or named by its
// concurrent builds (also those a skipping IF NOT EXISTS would keep).
std::set<std::string> left_invalid(core::pg::Client& client,
                                   const std::set<std::string>& before,
                                   const std::vector<ConcurrentBuild>& builds,
                                   int interrupted = 0) {
  auto found = invalid_indexes_of(client, builds, interrupted);
  for (auto& index : invalid_indexes(client, interrupted)) {
    if (!before.contains(index)) {
      found.insert(index);
    }
  }
  return found;
}

// The state table's error column: the cause, and the indexes to drop.
std::string recorded_error(std::string_view cause, const std::set<std::string>& invalid) {
  std::string text(cause);
  for (const auto& index : invalid) {
    text += fmt::format("; left index {} INVALID (remove it with DROP INDEX CONCURRENTLY IF "
                        "EXISTS {})",
                        index,
                        index);
  }
  return text;
}

// After SIGINT/SIGTERM stopped a no-transaction step: on a new connection
// (the interrupted one is not reused) and within a few seconds, finds the
// INVALID indexes the cancelled statement left and records the step as
// failed, since the statements before it persist.
void after_interruption(Session& session,
                        const Migration& migration,
                        bool up,
                        const std::set<std::string>& before,
                        const std::vector<ConcurrentBuild>& builds,
                        Clock::time_point start,
                        const core::Cancelled& cancelled,
                        StepRun& run,
                        core::Context& context) {
  core::CancellationShield shield;
  try {
    auto settings = core::pg::settings_from(context.config);
    settings.deadline = Clock::now() + std::chrono::seconds(3);
    core::pg::Client probe(settings);
    auto interrupted = session.client.backend_pid();
    // The server ends the cancelled statement shortly after the request.
    while (Clock::now() + std::chrono::milliseconds(100) < *settings.deadline &&
           probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND state = 'active'",
                         {std::to_string(interrupted)})
                   .rows() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    run.invalid = left_invalid(probe, before, builds, interrupted);
    if (up && !run.nothing_persists(migration.up)) {
      probe.execute(session.history.record_sql(migration,
                                               elapsed_ms(start),
                                               RecordStatus::failed,
                                               recorded_error(cancelled.what(), run.invalid)));
    }
  } catch (const core::Error& error) {
    context.log.warning(fmt::format(
        "after the interruption, could not check {} for INVALID indexes or record it as failed: "
        "{}",
        label(migration),
        error.what()));
  }
}

// Runs one migration step, retrying (bounded, backoff with jitter) when its
// lock_timeout expires and nothing of it persists, so DDL never queues
// behind a long transaction. A no-transaction step is retried only when the
// timeout hit its first statement and left no INVALID index.
void apply_step(Session& session,
                const Migration& migration,
                bool up,
                const MigrateOptions& options,
                StepRun& run,
                core::Context& context) {
  const auto& script = up ? migration.up : *migration.down;
  std::mt19937 random(std::random_device{}());
  run.step = {migration.version_label, migration.name, up ? Direction::up : Direction::down};
  std::vector<ConcurrentBuild> builds;
  std::set<std::string> before;
  if (!script.transactional) {
    builds = concurrent_builds(script.sql);
    before = invalid_indexes(session.client);
  }
  for (int attempt = 1;; ++attempt) {
    run.step.attempts = attempt;
    auto start = Clock::now();
    auto statements = statements_for(migration, up, session.history, options, 0);
    try {
      session.client.execute(statements.before);
      if (script.transactional) {
        session.client.run_script(statements.body);
      } else {
        run_one_by_one(session.client, statements.body, run.statements_done);
        run.invalid = left_invalid(session.client, before, builds);
        if (!run.invalid.empty()) {
          session.client.execute("RESET lock_timeout");
          if (up) {
            session.client.execute(session.history.record_sql(
                migration,
                elapsed_ms(start),
                RecordStatus::failed,
                recorded_error("ran to its end but left an INVALID index", run.invalid)));
          }
          throw LeftInvalid();
        }
      }
      run.step.execution_ms = elapsed_ms(start);
      session.client.execute(
          statements_for(migration, up, session.history, options, run.step.execution_ms).after);
      return;
    } catch (const core::pg::QueryError& error) {
      if (script.transactional) {
        session.client.execute("ROLLBACK");
      } else {
        session.client.execute("RESET lock_timeout");
        run.invalid = left_invalid(session.client, before, builds);
      }
      bool timed_out = error.sqlstate() == k_lock_not_available;
      bool nothing_persists = run.nothing_persists(script);
      if (timed_out && !nothing_persists) {
        run.not_retried =
            run.invalid.empty()
                ? "not retried: it runs without a transaction and the statements before the one "
                  "that timed out persist"
                : "not retried: the statement that timed out left an INVALID index";
      }
      if (!timed_out || !nothing_persists || attempt > options.ddl_retries) {
        if (!nothing_persists && up) {
          session.client.execute(
              session.history.record_sql(migration,
                                         elapsed_ms(start),
                                         RecordStatus::failed,
                                         recorded_error(error.primary, run.invalid)));
        }
        throw;
      }
      // 0.5s, 1s, 2s, ... capped at 10s, each with up to 50% jitter.
      auto base = std::min<long long>(500LL << (attempt - 1), 10000);
      std::uniform_int_distribution<long long> jitter(0, base / 2);
      auto pause = std::chrono::milliseconds(base + jitter(random));
      context.log.warning(fmt::format("{}: lock_timeout ({}) hit: {}; retry {}/{} in {}",
                                      label(migration),
                                      core::format_duration(options.ddl_lock_timeout),
                                      error.primary,
                                      attempt,
                                      options.ddl_retries,
                                      core::format_duration(pause)));
      context.cancel.sleep_for(std::chrono::duration_cast<core::Milliseconds>(pause));
    } catch (const core::Cancelled& cancelled) {
      if (!script.transactional) {
        after_interruption(session, migration, up, before, builds, start, cancelled, run, context);
      }
      throw;
    }
  }
}

// Files with no row in the state table.
std::size_t count_pending(const Session& session, const std::map<Version, AppliedRow>& applied) {
  return static_cast<std::size_t>(std::count_if(
      session.migrations.begin(), session.migrations.end(), [&](const Migration& migration) {
        return !applied.contains(migration.version);
      }));
}

// Migrations `up` would apply, in order.
std::vector<const Migration*> pending_for_up(const Session& session,
                                             const std::map<Version, AppliedRow>& applied,
                                             const MigrateOptions& options) {
  std::optional<Version> target;
  if (options.target) {
    target = require_version(*options.target, "--to");
    if (session.find(*target) == nullptr) {
      core::throw_usage(fmt::format("--to: no migration with version {}", target->text()));
    }
  }
  std::vector<const Migration*> pending;
  for (const auto& migration : session.migrations) {
    if (applied.contains(migration.version)) {
      continue;
    }
    if (target && *target < migration.version) {
      break;
    }
    if (options.count && pending.size() >= *options.count) {
      break;
    }
    pending.push_back(&migration);
  }
  return pending;
}

// Applied migrations `down` would revert, newest first.
std::vector<const Migration*> applied_for_down(const Session& session,
                                               const std::map<Version, AppliedRow>& applied,
                                               const MigrateOptions& options) {
  std::optional<Version> target;
  if (options.target) {
    target = require_version(*options.target, "--to");
    // Like `up --to`, a typo must not silently mean "nothing" or "everything".
    bool everything = std::all_of(
        target->parts.begin(), target->parts.end(), [](auto part) { return part == 0; });
    if (!everything && session.find(*target) == nullptr && !applied.contains(*target)) {
      core::throw_usage(
          fmt::format("--to: no migration with version {} (0 reverts everything)", target->text()));
    }
  }
  std::size_t count = options.count.value_or(target ? SIZE_MAX : 1);
  std::vector<const Migration*> steps;
  for (auto it = applied.rbegin(); it != applied.rend() && steps.size() < count; ++it) {
    if (target && !(*target < it->first)) {
      break;
    }
    const auto* migration = session.find(it->first);
    if (migration == nullptr) {
      core::throw_failed(fmt::format(
          "cannot revert version {} ({}): its file is {}",
          it->first.text(),
          it->second.name,
          is_archived(it->first, options) ? "archived (below migrate.archived_below)" : "missing"));
    }
    if (!migration->down) {
      core::throw_failed(
          fmt::format("cannot revert {}: it has no down migration", label(*migration)));
    }
    steps.push_back(migration);
  }
  return steps;
}

// A database another tool manages, which golfops has never migrated: its
// migrations must not look pending (up would run them again). Refused with
// the command that adopts the state.
void refuse_foreign_state(Session& session,
                          const std::map<Version, AppliedRow>& applied,
                          const MigrateOptions& options) {
  if (!applied.empty()) {
    return;
  }
  auto foreign = read_foreign_state(session.client, options.schema, options.table);
  if (!foreign) {
    return;
  }
  auto dir_flag =
      options.dir_label == "--dir" ? fmt::format(" --dir {}", options.dir.string()) : std::string();
  core::throw_refused(fmt::format(
      "{} manages this database ({}{}) and golfops has no state of its own yet: its migrations "
      "would look pending and run again. Record them first with: golfops migrate adopt{}",
      foreign->tool,
      foreign->table,
      foreign->unfinished ? ", " + *foreign->unfinished : std::string(),
      dir_flag));
}

// The state table's rows, refusing a database another tool manages.
std::map<Version, AppliedRow> read_managed_state(Session& session, const MigrateOptions& options) {
  auto applied = session.history.read();
  refuse_foreign_state(session, applied, options);
  return applied;
}

// Checks every script about to run, before the first runs (runnable_sql):
// a file that would fail for its transaction statements changes nothing.
void require_runnable(const std::vector<const Migration*>& steps, bool up) {
  for (const auto* migration : steps) {
    runnable_sql(up ? migration->up : *migration->down);
  }
}

// An INVALID index left by an earlier failed attempt of a step about to run
// would make its CREATE INDEX CONCURRENTLY fail ("already exists") or, with
// IF NOT EXISTS, skip the build and keep the broken index: refused before
// anything runs.
void require_no_leftover_indexes(Session& session,
                                 const std::vector<const Migration*>& steps,
                                 bool up) {
  std::vector<std::string> problems;
  for (const auto* migration : steps) {
    const auto& script = up ? migration->up : *migration->down;
    if (script.transactional) {
      continue;
    }
    for (const auto& line :
         describe_invalid(invalid_indexes_of(session.client, concurrent_builds(script.sql)))) {
      problems.push_back(fmt::format("{}: {}", script.path.string(), line));
    }
  }
  if (!problems.empty()) {
    problems.push_back("nothing was run: drop the INVALID index(es), then run the command again");
    core::throw_failed(fmt::format("{}", fmt::join(problems, "\n")));
  }
}

// The end of the failure report: INVALID indexes left, attempts made.
void add_step_facts(RunResult& result, const StepRun& run) {
  auto invalid = describe_invalid(run.invalid);
  result.failure.insert(result.failure.end(), invalid.begin(), invalid.end());
  result.invalid_indexes.assign(run.invalid.begin(), run.invalid.end());
  result.attempts = run.step.attempts;
  if (!run.not_retried.empty()) {
    result.failure.push_back(run.not_retried);
  }
}

RunResult run_steps(Session& session,
                    const std::vector<const Migration*>& steps,
                    bool up,
                    const MigrateOptions& options,
                    core::Context& context) {
  require_runnable(steps, up);
  require_no_leftover_indexes(session, steps, up);
  RunResult result;
  result.direction = up ? Direction::up : Direction::down;
  for (std::size_t index = 0; index < steps.size(); ++index) {
    const auto& migration = *steps[index];
    const auto& script = up ? migration.up : *migration.down;
    context.progress.step(
        index, steps.size(), (up ? "applying " : "reverting ") + label(migration));
    StepRun run;
    try {
      apply_step(session, migration, up, options, run, context);
      context.log.debug(fmt::format(
          "{} {} in {} ms", up ? "applied" : "reverted", label(migration), run.step.execution_ms));
      result.steps.push_back(run.step);
    } catch (const core::Cancelled& cancelled) {
      // The partial result is what the operator needs: what is applied now.
      result.interrupted = cancelled.code();
      bool persists = !run.nothing_persists(script);
      result.recorded_failed = up && persists;
      result.failure.push_back(fmt::format(
          "{} while {} {}: {}; the {} migration(s) before it stay {}",
          cancelled.what(),
          up ? "applying" : "reverting",
          label(migration),
          script.transactional ? "its transaction was rolled back, so nothing from it persists"
          : persists ? fmt::format("it runs without a transaction (golfops:no-transaction), so "
                                   "the {} statement(s) before the interrupted one persist{}",
                                   run.statements_done,
                                   up ? "; it is recorded as failed" : "")
                     : "it was stopped in its first statement, so nothing from it persists",
          result.steps.size(),
          up ? "applied" : "reverted"));
      add_step_facts(result, run);
      return result;
    } catch (const LeftInvalid&) {
      result.failure.push_back(
          fmt::format("{}: ran to its end, but it is not recorded as applied while an INVALID "
                      "index it builds exists{}",
                      script.path.string(),
                      up ? "; it is recorded as failed" : ""));
      result.recorded_failed = up;
      add_step_facts(result, run);
      return result;
    } catch (const core::pg::QueryError& error) {
      bool persists = !run.nothing_persists(script);
      result.failure = describe_failure(migration, up, error, script.transactional, persists);
      result.failure_fields = failure_fields(migration, up, error);
      result.recorded_failed = up && persists;
      if (error.sqlstate() == k_lock_not_available && run.not_retried.empty()) {
        result.failure.push_back(fmt::format(
            "gave up after {} attempt(s): something holds a conflicting lock for longer than "
            "migrate.ddl_lock_timeout ({}); find it in pg_stat_activity / pg_locks",
            run.step.attempts,
            core::format_duration(options.ddl_lock_timeout)));
      }
      add_step_facts(result, run);
      return result;
    }
  }
  return result;
}

} // namespace

MigrateOptions options_from(const core::config::Config& config) {
  MigrateOptions options;
  options.dir = config.text("migrate.dir");
  options.dir_label = core::config::value_label(config.value("migrate.dir"), "migrate.dir");
  std::error_code error;
  if (std::filesystem::exists(options.dir, error) &&
      !std::filesystem::is_directory(options.dir, error)) {
    core::throw_usage(fmt::format("{}: '{}' is not a directory (expected the directory of "
                                  "migration files; set it with --dir or migrate.dir)",
                                  options.dir_label,
                                  options.dir.string()));
  }
  options.schema = config.text("migrate.schema");
  options.table = config.text("migrate.table");
  options.lock_wait = config.duration("migrate.lock_wait");
  options.ddl_lock_timeout = config.duration("migrate.ddl_lock_timeout");
  auto retries = config.integer("migrate.ddl_retries");
  if (retries < 0 || retries > 100) {
    core::throw_usage(fmt::format(
        "{}: invalid value {} (expected 0 to 100)",
        core::config::value_label(config.value("migrate.ddl_retries"), "migrate.ddl_retries"),
        retries));
  }
  options.ddl_retries = static_cast<int>(retries);
  for (std::string_view key : {"migrate.schema", "migrate.table"}) {
    if (config.text(key).empty()) {
      core::throw_usage(fmt::format("{}: must not be empty (a PostgreSQL identifier)",
                                    core::config::value_label(config.value(key), key)));
    }
  }
  options.allow_out_of_order = config.boolean("migrate.allow_out_of_order");
  options.version_style = config.text("migrate.version_style");
  if (auto archived = config.text("migrate.archived_below"); !archived.empty()) {
    options.archived_below = parse_version(archived);
    if (!options.archived_below) {
      core::throw_usage(fmt::format(
          "{}: '{}' is not a version (expected the oldest version whose file is still on disk, "
          "e.g. 42 or 20240101120000)",
          core::config::value_label(config.value("migrate.archived_below"),
                                    "migrate.archived_below"),
          archived));
    }
  }
  options.version_style_set = config.is_set("migrate.version_style");
  return options;
}

StatusResult run_status(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto applied = read_managed_state(session, options);
  StatusResult result;
  auto problems = check(session.migrations, applied, options);
  result.problems = problems.integrity;
  result.problems.insert(
      result.problems.end(), problems.out_of_order.begin(), problems.out_of_order.end());
  // A pending file that `up` would refuse (COMMIT midway, CONCURRENTLY
  // without the marker) is a problem now, so `status --exit-code` in CI
  // catches it before a deploy does.
  for (const auto& migration : session.migrations) {
    if (applied.contains(migration.version)) {
      continue;
    }
    try {
      runnable_sql(migration.up);
    } catch (const core::Error& error) {
      result.problems.emplace_back(error.what());
    }
  }
  std::map<Version, StatusRow> rows;
  for (const auto& migration : session.migrations) {
    auto& row = rows[migration.version];
    row = {migration.version_label,
           migration.name,
           MigrationState::pending,
           "",
           migration.up.path.string()};
    if (auto found = applied.find(migration.version); found != applied.end()) {
      row.applied_at = found->second.applied_at;
      row.state = found->second.status == RecordStatus::applied &&
                          found->second.checksum != migration.checksum
                      ? MigrationState::edited
                      : state_of(found->second.status);
    }
  }
  for (const auto& [version, row] : applied) {
    if (!rows.contains(version)) {
      rows[version] = {version.text(),
                       row.name,
                       row.status == RecordStatus::baseline ? MigrationState::baseline
                       : is_archived(version, options)      ? MigrationState::archived
                                                            : MigrationState::missing,
                       row.applied_at,
                       ""};
    }
  }
  for (auto& [version, row] : rows) {
    result.pending += row.state == MigrationState::pending ? 1 : 0;
    result.failed += row.state == MigrationState::failed ? 1 : 0;
    result.applied +=
        row.state == MigrationState::pending || row.state == MigrationState::failed ? 0 : 1;
    result.rows.push_back(std::move(row));
  }
  return result;
}

RunResult run_up(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto lock = session.history.lock(options.lock_wait);
  auto applied = read_managed_state(session, options);
  auto problems = check(session.migrations, applied, options);
  if (!problems.integrity.empty()) {
    throw core::Error(core::ExitCode::failed,
                      fmt::format("{}", fmt::join(problems.integrity, "\n")));
  }
  if (!problems.out_of_order.empty() && !options.allow_out_of_order) {
    throw core::Error(core::ExitCode::refused,
                      fmt::format("{}", fmt::join(problems.out_of_order, "\n")));
  }
  auto steps = pending_for_up(session, applied, options);
  require_runnable(steps, true); // before the state table is created: nothing written
  session.history.ensure_table();
  auto result = run_steps(session, steps, true, options, context);
  result.remaining =
      count_pending(session, applied) - result.steps.size() - (result.recorded_failed ? 1 : 0);
  return result;
}

RunResult run_down(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto lock = session.history.lock(options.lock_wait);
  auto applied = read_managed_state(session, options);
  auto steps = applied_for_down(session, applied, options);
  if (!steps.empty()) {
    std::vector<std::string> labels;
    for (const auto* migration : steps) {
      labels.push_back(label(*migration));
    }
    context.confirm.require(
        options.yes,
        fmt::format("reverting {} migration(s) ({})", steps.size(), fmt::join(labels, ", ")),
        session.client.target());
  }
  auto result = run_steps(session, steps, false, options, context);
  result.remaining = applied.size() - result.steps.size();
  return result;
}

RunResult run_redo(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto lock = session.history.lock(options.lock_wait);
  auto applied = read_managed_state(session, options);
  MigrateOptions one = options;
  one.count = 1;
  one.target.reset();
  auto steps = applied_for_down(session, applied, one);
  if (steps.empty()) {
    core::throw_failed("redo: nothing is applied");
  }
  context.confirm.require(
      options.yes,
      fmt::format("redo of {} (revert, then apply again)", label(*steps.front())),
      session.client.target());
  auto result = run_steps(session, steps, false, options, context);
  result.remaining = count_pending(session, applied);
  if (result.failure.empty()) {
    auto again = run_steps(session, steps, true, options, context);
    result.steps.insert(result.steps.end(), again.steps.begin(), again.steps.end());
    result.failure = again.failure;
    result.failure_fields = again.failure_fields;
    result.invalid_indexes = again.invalid_indexes;
    result.attempts = again.attempts;
    result.recorded_failed = again.recorded_failed;
    result.interrupted = again.interrupted;
    // Reverted but not re-applied: the newest migration is pending now.
    result.remaining += again.failure.empty() ? 0 : 1;
  }
  result.redo = true;
  return result;
}

PlanResult run_plan(const MigrateOptions& options, Direction direction, core::Context& context) {
  Session session(options, context);
  auto applied = read_managed_state(session, options);
  bool up = direction == Direction::up;
  auto steps =
      up ? pending_for_up(session, applied, options) : applied_for_down(session, applied, options);
  PlanResult plan;
  plan.direction = direction;
  if (up && !steps.empty() && !session.history.table_exists()) {
    plan.setup_sql = session.history.ensure_table_sql() + ";\n";
  }
  for (const auto* migration : steps) {
    const auto& script = up ? migration->up : *migration->down;
    auto statements = statements_for(*migration, up, session.history, options, 0);
    plan.steps.push_back({migration->version_label,
                          migration->name,
                          direction,
                          script.transactional,
                          script.path.string(),
                          statements.before + "\n" + statements.body +
                              (statements.body.ends_with('\n') ? "" : "\n") + statements.after +
                              "\n"});
  }
  return plan;
}

StatusResult run_validate(const MigrateOptions& options, core::Context& context) {
  auto result = run_status(options, context);
  // Every file as `up` and `down` would run it.
  for (const auto& migration : load_migrations(options.dir, options.dir_label)) {
    runnable_sql(migration.up);
    if (migration.down) {
      runnable_sql(*migration.down);
    }
  }
  if (options.allow_out_of_order) {
    std::erase_if(result.problems, [](const std::string& problem) {
      return problem.find("--allow-out-of-order") != std::string::npos;
    });
  }
  return result;
}

HistoryResult run_history(const MigrateOptions& options, core::Context& context) {
  core::pg::Client client(core::pg::settings_from(context.config));
  History history(client, options.schema, options.table);
  // Versions as the files spell them ("0001") when the files are at hand;
  // history still works from the table alone.
  std::map<Version, std::string> labels;
  try {
    for (const auto& migration : load_migrations(options.dir, options.dir_label)) {
      labels[migration.version] = migration.version_label;
    }
  } catch (const core::Error&) {
  }
  HistoryResult result;
  for (const auto& [version, row] : history.read()) {
    auto label = labels.find(version);
    result.rows.push_back({label == labels.end() ? version.text() : label->second,
                           row.name,
                           row.status,
                           row.applied_at,
                           row.applied_by,
                           row.execution_ms,
                           row.error});
  }
  std::stable_sort(result.rows.begin(), result.rows.end(), [](const auto& a, const auto& b) {
    return a.applied_at < b.applied_at;
  });
  return result;
}

CreateResult run_create(const MigrateOptions& options, core::Context&) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (options.name.empty() || options.name.front() == '_' ||
      !std::all_of(options.name.begin(), options.name.end(), allowed)) {
    core::throw_usage(fmt::format("NAME: '{}' is not a migration name (lower-case letters, digits "
                                  "and '_', e.g. add_users_email_index)",
                                  options.name));
  }
  std::filesystem::create_directories(options.dir);
  auto migrations = load_migrations(options.dir, options.dir_label);
  // Follow the directory: its newest file's layout, timestamp or sequence,
  // and padding, unless the style was asked for.
  auto format = migrations.empty() ? SourceFormat::golfops : migrations.back().format;
  bool timestamps = options.version_style == "timestamp";
  std::size_t padding = 4;
  if (!migrations.empty()) {
    const auto& newest = migrations.back().version_label;
    bool looks_like_timestamp = newest.size() >= 12 &&
                                std::all_of(newest.begin(), newest.end(), ::isdigit) &&
                                (newest.starts_with("19") || newest.starts_with("20"));
    if (!options.version_style_set) {
      timestamps = looks_like_timestamp;
    }
    padding = newest.size();
  }
  std::string version;
  if (timestamps) {
    auto now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%d%H%M%S", &utc);
    version = buffer;
  } else {
    std::uint64_t next = migrations.empty() ? 1 : migrations.back().version.parts.front() + 1;
    version = fmt::format("{:0{}}", next, format == SourceFormat::flyway ? 1 : padding);
  }
  if (auto parsed = parse_version(version);
      !migrations.empty() && parsed && !(migrations.back().version < *parsed)) {
    core::throw_refused(fmt::format("version {} is not newer than the newest migration {}",
                                    version,
                                    migrations.back().version.text()));
  }
  CreateResult result;
  auto write_new = [&](const std::filesystem::path& path, const std::string& text) {
    if (std::filesystem::exists(path)) {
      core::throw_refused(fmt::format("{} already exists", path.string()));
    }
    core::atomic_write(path, text, 0644); // a source file, read by the team and CI
    result.files.push_back(path.string());
  };
  if (format == SourceFormat::dbmate) {
    write_new(options.dir / fmt::format("{}_{}.sql", version, options.name),
              "-- migrate:up\n\n-- migrate:down\n");
    return result;
  }
  if (format == SourceFormat::flyway) {
    write_new(options.dir / fmt::format("V{}__{}.sql", version, options.name),
              fmt::format("-- Flyway-style migration {}: {} (no down file in this layout)\n",
                          version,
                          options.name));
    return result;
  }
  for (std::string direction : {"up", "down"}) {
    auto path = options.dir / fmt::format("{}_{}.{}.sql", version, options.name, direction);
    if (std::filesystem::exists(path)) {
      core::throw_refused(fmt::format("{} already exists", path.string()));
    }
    core::atomic_write(path,
                       fmt::format("-- {} migration {}: {}\n-- Runs in a transaction; add "
                                   "`-- golfops:no-transaction` for CREATE INDEX CONCURRENTLY.\n",
                                   direction,
                                   version,
                                   options.name),
                       0644); // a source file, read by the team and CI
    result.files.push_back(path.string());
  }
  return result;
}

NoteResult run_adopt(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto lock = session.history.lock(options.lock_wait);
  if (!session.history.read().empty()) {
    core::throw_refused(fmt::format("{} already has rows: golfops manages this database already",
                                    session.history.qualified_table()));
  }
  auto foreign = read_foreign_state(session.client, options.schema, options.table);
  if (!foreign) {
    core::throw_usage(fmt::format("adopt: no golang-migrate, dbmate or Flyway state in schema "
                                  "'{}' (schema_migrations or flyway_schema_history with rows); "
                                  "for a database migrated by hand, use `golfops migrate "
                                  "baseline VERSION`",
                                  options.schema));
  }
  if (foreign->unfinished) {
    core::throw_refused(fmt::format(
        "{} ({}) is {}: that migration stopped midway and may be partly applied. Repair the "
        "database by hand, mark it with the tool itself (golang-migrate: `migrate force V`; "
        "Flyway: `flyway repair`), then run golfops migrate adopt again",
        foreign->table,
        foreign->tool,
        *foreign->unfinished));
  }
  std::string sql = "BEGIN;\n";
  std::size_t adopted = 0;
  std::set<Version> local;
  for (const auto& migration : session.migrations) {
    local.insert(migration.version);
    if (foreign->is_applied(migration.version)) {
      sql += session.history.record_sql(migration, 0, RecordStatus::applied) + ";\n";
      ++adopted;
    }
  }
  std::vector<std::string> without_file;
  for (const auto& version : foreign->applied) {
    if (!local.contains(version)) {
      without_file.push_back(version.text());
    }
  }
  if (adopted == 0) {
    core::throw_usage(fmt::format("adopt: none of the files in {} is applied according to {}",
                                  options.dir.string(),
                                  foreign->table));
  }
  session.history.ensure_table();
  session.client.execute(sql + "COMMIT;");
  return {fmt::format("adopted {} migration(s) applied by {} ({}), recorded as applied with their "
                      "files' checksums; {} is left as it was{}",
                      adopted,
                      foreign->tool,
                      foreign->table,
                      foreign->table,
                      without_file.empty()
                          ? std::string()
                          : fmt::format("; applied there but without a file here: {}",
                                        fmt::join(without_file, ", ")))};
}

NoteResult run_baseline(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto baseline = require_version(options.version, "VERSION");
  auto lock = session.history.lock(options.lock_wait);
  session.history.ensure_table();
  if (!session.history.read().empty()) {
    core::throw_refused(fmt::format("{} already has rows: baseline adopts a database that "
                                    "golfops has never migrated",
                                    session.history.qualified_table()));
  }
  std::size_t marked = 0;
  std::string sql = "BEGIN;\n";
  for (const auto& migration : session.migrations) {
    if (baseline < migration.version) {
      break;
    }
    sql += session.history.record_sql(migration, 0, RecordStatus::baseline) + ";\n";
    ++marked;
  }
  if (marked == 0) {
    core::throw_usage(fmt::format("VERSION: no migration at or below {}", baseline.text()));
  }
  session.client.execute(sql + "COMMIT;");
  return {fmt::format("baselined at {}: {} migration(s) recorded as applied without running them",
                      baseline.text(),
                      marked)};
}

NoteResult run_force(const MigrateOptions& options, core::Context& context) {
  Session session(options, context);
  auto version = require_version(options.version, "VERSION");
  const auto* migration = session.find(version);
  auto lock = session.history.lock(options.lock_wait);
  session.history.ensure_table();
  auto shown = migration != nullptr ? migration->version_label : version.text();
  if (options.force_pending) {
    auto forgotten =
        session.client.execute(session.history.forget_sql(version) + " RETURNING version");
    if (forgotten.rows() == 0) {
      core::throw_usage(
          fmt::format("VERSION: {} has no row in {}: it is already pending, nothing to force",
                      shown,
                      session.history.qualified_table()));
    }
    return {fmt::format("forced {} to pending: `migrate up` will run it again", shown)};
  }
  if (migration == nullptr) {
    core::throw_usage(fmt::format("VERSION: no migration file with version {}", version.text()));
  }
  if (auto invalid = invalid_indexes_of(session.client, concurrent_builds(migration->up.sql));
      !invalid.empty()) {
    auto lines = describe_invalid(invalid);
    lines.push_back(fmt::format("not forced: {} is not marked applied while an index it builds is "
                                "INVALID; drop it and run `golfops migrate force {} --pending`, "
                                "then `golfops migrate up` builds it again",
                                label(*migration),
                                version.text()));
    core::throw_failed(fmt::format("{}", fmt::join(lines, "\n")));
  }
  session.client.execute(session.history.force_applied_sql(*migration));
  return {fmt::format("forced {} to applied (checksum of the file on disk, the row's audit data "
                      "kept); nothing was run",
                      label(*migration))};
}

} // namespace golfops::commands::migrate
