#include "commands/limits/limits.hpp"
#include "commands/migrate/migrate.hpp"
#include "commands/verify/builtin.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"

#include <fmt/format.h>

namespace golfops::commands::verify {
namespace {

using core::checks::Reason;

} // namespace

Outcome check_migrations(core::Context& context, Facts& facts) {
  Outcome outcome;
  outcome.name = "migrations";
  auto options = migrate::options_from(context.config);
  outcome.target = options.dir.string();
  try {
    auto status = migrate::run_status(options, context);
    std::string head;
    std::string applied;
    std::vector<std::string> pending;
    for (const auto& row : status.rows) {
      if (!row.file.empty()) {
        head = row.version;
      }
      if (row.state == migrate::MigrationState::applied ||
          row.state == migrate::MigrationState::baseline ||
          row.state == migrate::MigrationState::edited) {
        applied = row.version;
      }
      if (row.state == migrate::MigrationState::pending) {
        pending.push_back(fmt::format("{}_{}", row.version, row.name));
      }
    }
    facts.migration_version = applied;
    if (!pending.empty() || status.failed > 0) {
      fail(outcome,
           Reason::query,
           fmt::format(
               "expected the database at the head of {} ({}), it is at {}: {} pending ({}){}",
               options.dir.string(),
               head.empty() ? "none" : head,
               applied.empty() ? "nothing applied" : applied,
               pending.size(),
               fmt::join(pending, ", "),
               status.failed > 0 ? fmt::format(", {} failed", status.failed) : ""));
      return outcome;
    }
    if (!status.problems.empty()) {
      fail(outcome, Reason::query, status.problems.front());
      return outcome;
    }
    outcome.status = Status::pass;
    outcome.message =
        fmt::format("at the head ({}), {} applied", head.empty() ? "none" : head, status.applied);
  } catch (const core::Cancelled&) {
    throw;
  } catch (const core::Error& error) {
    fail_with(outcome, error);
  }
  return outcome;
}

Outcome check_rules(core::Context& context, Facts& facts) {
  Outcome outcome;
  outcome.name = "rules";
  outcome.target = "PostgreSQL and Redis";
  limits::LimitsOptions options;
  options.key_prefix = limits::key_prefix_from(context.config);
  try {
    auto drift = limits::run_drift(options, context);
    facts.rules_revision = drift.revision;
    if (drift.revision == 0) {
      fail(outcome,
           Reason::query,
           "Redis holds no published rules: services enforce nothing (golfops limits publish)");
      return outcome;
    }
    std::vector<std::string> changes;
    for (const auto& change : drift.changes) {
      switch (change.kind) {
      case limits::Change::Kind::add:
        changes.push_back(fmt::format("{} only in PostgreSQL", change.name));
        break;
      case limits::Change::Kind::remove:
        changes.push_back(fmt::format("{} only in Redis", change.name));
        break;
      case limits::Change::Kind::change:
        changes.push_back(
            fmt::format("{} differs ({})", change.name, fmt::join(change.fields, ", ")));
        break;
      case limits::Change::Kind::keep:
        break;
      }
    }
    if (!changes.empty()) {
      fail(outcome,
           Reason::query,
           fmt::format("expected Redis to hold PostgreSQL's rules, revision {} differs: {} "
                       "(golfops limits publish)",
                       drift.revision,
                       fmt::join(changes, "; ")));
      return outcome;
    }
    outcome.status = Status::pass;
    outcome.message = fmt::format("Redis holds PostgreSQL's rules (revision {})", drift.revision);
  } catch (const core::Cancelled&) {
    throw;
  } catch (const core::Error& error) {
    fail_with(outcome, error);
  }
  return outcome;
}

Outcome check_backup(const Settings& settings, core::Context& context) {
  core::checks::CheckSpec spec;
  spec.name = "backup";
  spec.type = core::checks::CheckType::backup;
  spec.max_age = settings.backup_max_age;
  spec.timeout = std::max(settings.timeout, core::Milliseconds(30000));
  spec.origin = "verify.backup";
  return outcome_of(core::checks::run_check(spec, context.config), "backup");
}

} // namespace golfops::commands::verify
