#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "core/units.hpp"

#include <chrono>
#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

using Tone = core::output::Table::Tone;

std::string seconds(std::int64_t milliseconds) {
  return fmt::format("{:.1f} s", static_cast<double>(milliseconds) / 1000.0);
}

// "3h", "2d": how old a backup is, from its start time.
std::string age_of(const std::string& started_at) {
  auto started = epoch_seconds(started_at);
  if (started == 0) {
    return "?";
  }
  auto age = static_cast<long>(static_cast<double>(std::time(nullptr)) - started);
  if (age < 3600) {
    return fmt::format("{}m", age / 60);
  }
  if (age < 2 * 86400) {
    return fmt::format("{}h", age / 3600);
  }
  return fmt::format("{}d", age / 86400);
}

// "2026-11-25T17:09:29Z": the manifest's time to the second, for tables.
std::string shown_time(const std::string& timestamp) {
  return timestamp.size() >= 19 ? timestamp.substr(0, 19) + "Z" : timestamp;
}

std::uint64_t total_rows(const std::vector<TableRows>& tables) {
  std::uint64_t rows = 0;
  for (const auto& table : tables) {
    rows += table.rows.value_or(0);
  }
  return rows;
}

core::output::Table rows_table(const std::vector<TableRows>& tables, bool restored) {
  core::output::Table table(restored ? std::vector<std::string>{"table", "rows", "restored"}
                                     : std::vector<std::string>{"table", "rows"});
  table.align_right(1);
  if (restored) {
    table.align_right(2);
  }
  for (const auto& row : tables) {
    auto rows = row.rows       ? std::to_string(*row.rows)
                : row.estimate ? fmt::format("~{}", *row.estimate)
                               : std::string("?");
    std::vector<core::output::Table::Cell> cells{{fmt::format("{}.{}", row.schema, row.name)},
                                                 {rows}};
    if (restored) {
      bool same = !row.rows || row.restored == row.rows;
      cells.push_back(
          {row.restored ? std::to_string(*row.restored) : "-", same ? Tone::plain : Tone::bad});
    }
    table.add_row(std::move(cells));
  }
  return table;
}

} // namespace

core::output::Report render(const BackupResult& result) {
  const auto& manifest = result.manifest;
  core::output::Report report;
  report.json = manifest_to_json(manifest);
  report.json["path"] = result.path.string();
  // A Redis snapshot holds keys in numbered databases, not tables.
  std::int64_t keys = 0;
  for (const auto& database : manifest.tables) {
    keys += database.estimate.value_or(0);
  }
  auto contents =
      is_redis_backup(manifest)
          ? fmt::format("{} keys in {} database(s)", keys, manifest.tables.size())
          : fmt::format("{} tables, {} rows", manifest.tables.size(), total_rows(manifest.tables));
  report.notes.push_back(fmt::format("backup {} of {}: {} {}, {} written ({:.1f}%{}), {}, in {}",
                                     manifest.id,
                                     manifest.database,
                                     core::format_size(manifest.bytes_in),
                                     is_redis_backup(manifest) ? "saved" : "dumped",
                                     core::format_size(manifest.bytes_out),
                                     manifest.bytes_in == 0
                                         ? 0.0
                                         : 100.0 * static_cast<double>(manifest.bytes_out) /
                                               static_cast<double>(manifest.bytes_in),
                                     manifest.encryption.empty() ? "" : ", encrypted",
                                     contents,
                                     seconds(manifest.duration_ms)));
  report.notes.push_back(fmt::format("{} (sha256 {})", result.path.string(), manifest.sha256));
  return report;
}

core::output::Report render(const ListResult& result) {
  core::output::Report report;
  report.json = {{"dir", result.dir.string()}, {"backups", nlohmann::json::array()}};
  core::output::Table table({"id", "database", "started", "age", "size", "verified", "label"});
  table.align_right(3);
  table.align_right(4);
  for (const auto& manifest : result.backups) {
    report.json["backups"].push_back(manifest_to_json(manifest));
    auto verified = manifest.verified_how == "failed" ? "FAILED"
                    : manifest.verified_at.empty()    ? "no"
                                                      : manifest.verified_how;
    table.add_row({{manifest.id},
                   {manifest.database},
                   {shown_time(manifest.started_at)},
                   {age_of(manifest.started_at)},
                   {core::format_size(manifest.bytes_out)},
                   {verified,
                    manifest.verified_how == "failed" ? Tone::bad
                    : manifest.verified_at.empty()    ? Tone::warn
                                                      : Tone::good},
                   {manifest.label}});
  }
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  }
  report.notes.push_back(
      result.backups.empty()
          ? fmt::format("no backups in {}", result.dir.string())
          : fmt::format("{} backup(s) in {}", result.backups.size(), result.dir.string()));
  return report;
}

core::output::Report render(const VerifyResult& result) {
  core::output::Report report;
  report.json = {{"id", result.manifest.id},
                 {"database", result.manifest.database},
                 {"ok", result.ok},
                 {"verified_how", result.manifest.verified_how},
                 {"problems", result.problems},
                 {"tables", tables_to_json(result.tables)}};
  if (!result.tables.empty()) {
    report.tables.push_back(rows_table(result.tables, true));
  }
  report.notes.push_back(result.ok
                             ? fmt::format("backup {} verified ({}): checksum, archive{}",
                                           result.manifest.id,
                                           result.manifest.verified_how,
                                           result.tables.empty() ? "" : ", restored row counts")
                             : fmt::format("backup {} FAILED verification", result.manifest.id));
  return report;
}

core::output::Report render(const PruneResult& result) {
  core::output::Report report;
  report.json = {{"dry_run", result.dry_run},
                 {"bytes_freed", result.bytes_freed},
                 {"backups", nlohmann::json::array()}};
  core::output::Table table({"id", "started", "size", "verified", "decision", "why"});
  table.align_right(2);
  std::size_t removed = 0;
  for (const auto& entry : result.entries) {
    removed += entry.keep ? 0 : 1;
    report.json["backups"].push_back({{"id", entry.manifest.id},
                                      {"started_at", entry.manifest.started_at},
                                      {"bytes", entry.manifest.bytes_out},
                                      {"keep", entry.keep},
                                      {"reasons", entry.reasons}});
    table.add_row({{entry.manifest.id},
                   {shown_time(entry.manifest.started_at)},
                   {core::format_size(entry.manifest.bytes_out)},
                   {entry.manifest.verified_at.empty() ? "no" : "yes"},
                   {entry.keep ? "keep" : (result.dry_run ? "would remove" : "removed"),
                    entry.keep ? Tone::good : Tone::warn},
                   {fmt::format("{}", fmt::join(entry.reasons, ", "))}});
  }
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  }
  report.notes.push_back(fmt::format("{} {} backup(s), {}; {} kept",
                                     result.dry_run ? "would remove" : "removed",
                                     removed,
                                     core::format_size(result.bytes_freed),
                                     result.entries.size() - removed));
  return report;
}

core::output::Report render(const RestoreResult& result) {
  core::output::Report report;
  report.json = {{"id", result.manifest.id},
                 {"target_db", result.target_db},
                 {"created", result.created},
                 {"duration_ms", result.duration_ms},
                 {"rows_loaded_by", result.rows_loaded_by},
                 {"mismatches", result.mismatches},
                 {"tables", tables_to_json(result.tables)}};
  report.tables.push_back(rows_table(result.tables, true));
  report.notes.push_back(fmt::format("restored backup {} into {}{} in {}",
                                     result.manifest.id,
                                     result.target_db,
                                     result.created ? " (created)" : "",
                                     seconds(result.duration_ms)));
  return report;
}

} // namespace golfops::commands::backup
