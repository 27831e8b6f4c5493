#include "commands/migrate/migrate.hpp"

#include <fmt/format.h>

namespace golfops::commands::migrate {
namespace {

using Tone = core::output::Table::Tone;

Tone tone_of(MigrationState state) {
  switch (state) {
  case MigrationState::applied:
  case MigrationState::baseline:
  case MigrationState::archived:
    return Tone::good;
  case MigrationState::pending:
    return Tone::warn;
  case MigrationState::failed:
  case MigrationState::missing:
  case MigrationState::edited:
    break;
  }
  return Tone::bad;
}

std::string run_name(const RunResult& result) {
  return result.redo ? "redo" : std::string(to_string(result.direction));
}

} // namespace

core::output::Report render(const StatusResult& result) {
  core::output::Report report;
  report.json = {{"applied", result.applied},
                 {"pending", result.pending},
                 {"failed", result.failed},
                 {"problems", result.problems},
                 {"migrations", nlohmann::json::array()}};
  core::output::Table table({"version", "name", "state", "applied at"});
  // Archived versions (often hundreds) are one line in the table: the range.
  std::vector<const StatusRow*> archived;
  auto add_archived = [&] {
    if (archived.empty()) {
      return;
    }
    table.add_row(
        {{archived.size() == 1
              ? archived.front()->version
              : fmt::format("{}..{}", archived.front()->version, archived.back()->version)},
         {fmt::format("({} without files)", archived.size())},
         {"archived", Tone::good},
         {archived.back()->applied_at}});
    archived.clear();
  };
  for (const auto& row : result.rows) {
    if (row.state == MigrationState::archived) {
      archived.push_back(&row);
    } else {
      add_archived();
    }
    report.json["migrations"].push_back(
        {{"version", row.version},
         {"name", row.name},
         {"state", to_string(row.state)},
         {"applied_at",
          row.applied_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.applied_at)},
         {"file", row.file}});
    if (row.state == MigrationState::archived) {
      continue;
    }
    table.add_row({{row.version},
                   {row.name},
                   {std::string(to_string(row.state)), tone_of(row.state)},
                   {row.applied_at}});
  }
  add_archived();
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  }
  report.notes.push_back(
      fmt::format("{} applied, {} pending{}",
                  result.applied,
                  result.pending,
                  result.failed > 0 ? fmt::format(", {} failed", result.failed) : ""));
  for (const auto& problem : result.problems) {
    report.notes.push_back("problem: " + problem);
  }
  return report;
}

core::output::Report render(const RunResult& result) {
  core::output::Report report;
  report.json = {{"direction", run_name(result)},
                 {"remaining", result.remaining},
                 {"recorded_failed", result.recorded_failed},
                 {"failure", result.failure},
                 {"invalid_indexes", result.invalid_indexes},
                 {"failed_attempts", result.attempts},
                 {"steps", nlohmann::json::array()}};
  core::output::Table table({"version", "name", "direction", "time", "attempts"});
  table.align_right(3);
  table.align_right(4);
  for (const auto& step : result.steps) {
    report.json["steps"].push_back({{"version", step.version},
                                    {"name", step.name},
                                    {"direction", to_string(step.direction)},
                                    {"execution_ms", step.execution_ms},
                                    {"attempts", step.attempts}});
    table.add_row({{step.version},
                   {step.name},
                   {std::string(to_string(step.direction))},
                   {fmt::format("{} ms", step.execution_ms)},
                   {std::to_string(step.attempts)}});
  }
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  }
  if (result.steps.empty() && result.failure.empty()) {
    report.notes.push_back(!result.redo && result.direction == Direction::up
                               ? "nothing to apply: up to date"
                               : "nothing to revert");
  } else {
    report.notes.push_back(fmt::format(
        "{} step(s) done{}, {} {}",
        result.steps.size(),
        result.recorded_failed ? ", 1 recorded as failed" : "",
        result.remaining,
        !result.redo && result.direction == Direction::down ? "still applied" : "pending"));
  }
  return report;
}

core::output::Report render(const PlanResult& result) {
  core::output::Report report;
  report.json = {
      {"direction", to_string(result.direction)},
      {"setup_sql",
       result.setup_sql.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.setup_sql)},
      {"steps", nlohmann::json::array()}};
  std::string text;
  if (!result.setup_sql.empty()) {
    text += "-- the state table does not exist yet: created first, in its own transaction\n" +
            result.setup_sql + "\n";
  }
  for (const auto& step : result.steps) {
    report.json["steps"].push_back({{"version", step.version},
                                    {"name", step.name},
                                    {"direction", to_string(step.direction)},
                                    {"transaction", step.transactional},
                                    {"file", step.file},
                                    {"sql", step.sql}});
    text += fmt::format("-- {} {}_{} ({}){}\n{}\n",
                        to_string(step.direction),
                        step.version,
                        step.name,
                        step.file,
                        step.transactional ? "" : " [no transaction]",
                        step.sql);
  }
  while (text.ends_with('\n')) {
    text.pop_back();
  }
  report.notes.push_back(text.empty() ? "-- nothing to run" : text);
  return report;
}

core::output::Report render(const HistoryResult& result) {
  core::output::Report report;
  report.json = {{"migrations", nlohmann::json::array()}};
  core::output::Table table({"version", "name", "status", "applied at", "by", "time"});
  table.align_right(5);
  for (const auto& row : result.rows) {
    report.json["migrations"].push_back(
        {{"version", row.version},
         {"name", row.name},
         {"status", to_string(row.status)},
         {"applied_at", row.applied_at},
         {"applied_by", row.applied_by},
         {"execution_ms", row.execution_ms},
         {"error", row.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.error)}});
    table.add_row({{row.version},
                   {row.name},
                   {std::string(to_string(row.status)), tone_of(state_of(row.status))},
                   {row.applied_at},
                   {row.applied_by},
                   {fmt::format("{} ms", row.execution_ms)}});
  }
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  } else {
    report.notes.push_back("no migrations applied yet");
  }
  return report;
}

core::output::Report render(const CreateResult& result) {
  core::output::Report report;
  report.json = {{"files", result.files}};
  for (const auto& file : result.files) {
    report.notes.push_back("created " + file);
  }
  return report;
}

core::output::Report render(const NoteResult& result) {
  core::output::Report report;
  report.json = {{"message", result.message}};
  report.notes.push_back(result.message);
  return report;
}

} // namespace golfops::commands::migrate
