#pragma once

#include <optional>
#include <string_view>

namespace golfops::commands::migrate {

// Which way a migration runs.
enum class Direction { up, down };

// What the state table records for a version (its `status` column).
enum class RecordStatus { applied, failed, baseline };

// What `status` shows for a migration: the state table and the files together.
enum class MigrationState {
  applied,
  pending,
  failed,   // a no-transaction migration that failed partway
  baseline, // recorded by `baseline`, never run
  missing,  // applied, but its file is gone
  archived, // applied, its file removed on purpose (below migrate.archived_below)
  edited,   // applied, but its file changed since
};

constexpr std::string_view to_string(Direction direction) {
  return direction == Direction::up ? "up" : "down";
}

constexpr std::string_view to_string(RecordStatus status) {
  switch (status) {
  case RecordStatus::applied:
    return "applied";
  case RecordStatus::failed:
    return "failed";
  case RecordStatus::baseline:
    return "baseline";
  }
  return "applied";
}

constexpr std::optional<RecordStatus> parse_record_status(std::string_view text) {
  for (auto status : {RecordStatus::applied, RecordStatus::failed, RecordStatus::baseline}) {
    if (to_string(status) == text) {
      return status;
    }
  }
  return std::nullopt;
}

constexpr std::string_view to_string(MigrationState state) {
  switch (state) {
  case MigrationState::applied:
    return "applied";
  case MigrationState::pending:
    return "pending";
  case MigrationState::failed:
    return "failed";
  case MigrationState::baseline:
    return "baseline";
  case MigrationState::missing:
    return "missing";
  case MigrationState::archived:
    return "archived";
  case MigrationState::edited:
    return "edited";
  }
  return "pending";
}

// The state a recorded row shows when its file is present and unchanged.
constexpr MigrationState state_of(RecordStatus status) {
  switch (status) {
  case RecordStatus::applied:
    return MigrationState::applied;
  case RecordStatus::failed:
    return MigrationState::failed;
  case RecordStatus::baseline:
    return MigrationState::baseline;
  }
  return MigrationState::applied;
}

} // namespace golfops::commands::migrate
