#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "core/output/textfile.hpp"

#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

constexpr std::string_view k_error = "golfops_backup_error";
constexpr std::string_view k_error_help =
    "1 when the last golfops backup command failed (reason: usage, failed, connect, ...).";

} // namespace

std::string
metrics_text(const BackupOptions& options, const std::string& database, const core::Error* error) {
  auto backups = list_backups(options, database);
  const Manifest* newest = backups.empty() ? nullptr : &backups.front();
  const Manifest* verified = nullptr;
  for (const auto& manifest : backups) {
    if (!manifest.verified_at.empty()) {
      verified = &manifest;
      break;
    }
  }
  auto quoted = core::output::label_value(database);
  auto label = fmt::format("{{database=\"{}\"}}", quoted);
  std::string text;
  auto gauge = [&](std::string_view name, std::string_view help, double value) {
    text += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0}{2} {3}\n", name, help, label, value);
  };
  gauge("golfops_backup_count",
        "Backups of the database listed in the backup directory.",
        static_cast<double>(backups.size()));
  if (newest != nullptr) {
    gauge("golfops_backup_last_success_timestamp_seconds",
          "When the newest backup finished (Unix time).",
          epoch_seconds(newest->finished_at));
    gauge("golfops_backup_last_duration_seconds",
          "How long the newest backup took.",
          static_cast<double>(newest->duration_ms) / 1000.0);
    gauge("golfops_backup_last_size_bytes",
          "Size of the newest backup's file.",
          static_cast<double>(newest->bytes_out));
    gauge("golfops_backup_last_source_bytes",
          "Bytes pg_dump wrote for the newest backup, before compression.",
          static_cast<double>(newest->bytes_in));
    gauge("golfops_backup_last_verified",
          "1 when the newest backup passed golfops backup verify.",
          newest->verified_at.empty() ? 0 : 1);
  }
  if (verified != nullptr) {
    gauge("golfops_backup_verified_timestamp_seconds",
          "When the newest verified backup finished (Unix time): alert on its age.",
          epoch_seconds(verified->finished_at));
  }
  auto database_label = fmt::format("database=\"{}\"", quoted);
  text += error != nullptr
              ? core::output::error_metric(k_error, k_error_help, *error, database_label)
              : core::output::ok_metric(k_error, k_error_help, database_label);
  return text;
}

void write_metrics_file(const std::filesystem::path& path,
                        const BackupOptions& options,
                        const std::string& database,
                        const core::Error* error) {
  core::output::write_textfile(path, metrics_text(options, database, error));
}

} // namespace golfops::commands::backup
