#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

#include <fmt/format.h>

namespace golfops::commands::backup {
PruneResult run_prune(const BackupOptions& options, core::Context& context) {
  if (options.retention.empty()) {
    core::throw_usage("backup.keep_last, keep_daily, keep_weekly and keep_monthly are all 0: set "
                      "a retention policy in [backup] before pruning");
  }
  auto database = options.chosen_database();
  auto directory = database_dir(options, database);
  std::error_code missing;
  if (!std::filesystem::is_directory(directory, missing)) {
    return {options.dry_run, {}, 0};
  }
  // Not while a backup of this database runs (it would be the newest).
  core::FileLock lock(directory / ".lock", std::chrono::milliseconds(0));
  auto backups = list_backups(options, database);
  std::vector<RetentionCandidate> candidates;
  for (const auto& manifest : backups) {
    candidates.push_back({manifest.id,
                          static_cast<std::time_t>(epoch_seconds(manifest.started_at)),
                          !manifest.verified_at.empty()});
  }
  auto decisions = apply_retention(candidates, options.retention);
  PruneResult result;
  result.dry_run = options.dry_run;
  std::vector<std::string> doomed;
  for (const auto& decision : decisions) {
    for (const auto& manifest : backups) {
      if (manifest.id == decision.id) {
        result.entries.push_back({manifest, decision.keep, decision.reasons});
        if (!decision.keep) {
          doomed.push_back(manifest.id);
          result.bytes_freed += manifest.bytes_out;
        }
      }
    }
  }
  if (options.dry_run || doomed.empty()) {
    return result;
  }
  context.confirm.require(
      options.yes,
      fmt::format("prune of {} backup(s) ({})", doomed.size(), fmt::join(doomed, ", ")),
      directory.string());
  for (const auto& entry : result.entries) {
    if (entry.keep) {
      continue;
    }
    // The manifest first: a backup disappears from `list` before its data.
    std::filesystem::remove(manifest_path(directory, entry.manifest.id));
    std::filesystem::remove(directory / entry.manifest.file);
  }
  return result;
}

} // namespace golfops::commands::backup
