#include "commands/backup/archive_scan.hpp"
#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "commands/backup/pg_tools.hpp"
#include "commands/backup/transfer.hpp"
#include "core/error.hpp"
#include "core/pg/client.hpp"
#include "core/pg/tool.hpp"
#include "core/proc.hpp"

#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

// Row estimates of every table pg_dump will dump, before it starts.
std::vector<TableRows> table_estimates(core::pg::Client& client) {
  auto result = client.execute(R"(
SELECT n.nspname, c.relname, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 1, 2)");
  std::vector<TableRows> tables;
  for (std::size_t row = 0; row < result.rows(); ++row) {
    auto estimate = std::stoll(result.text(row, 2));
    tables.push_back({result.text(row, 0),
                      result.text(row, 1),
                      std::nullopt,
                      estimate < 0 ? std::nullopt : std::optional<std::int64_t>(estimate),
                      std::nullopt});
  }
  return tables;
}

// Exact counts from the archive joined with the estimates, in archive order.
std::vector<TableRows> merge_counts(const ArchiveSummary& summary,
                                    const std::vector<TableRows>& estimates) {
  std::vector<TableRows> tables;
  for (const auto& archived : summary.tables) {
    TableRows table{archived.schema, archived.name, archived.rows, std::nullopt, std::nullopt};
    for (const auto& estimated : estimates) {
      if (estimated.schema == archived.schema && estimated.name == archived.name) {
        table.estimate = estimated.estimate;
      }
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

} // namespace

BackupResult run_backup(const BackupOptions& options, core::Context& context) {
  auto settings = core::pg::settings_from(context.config);
  if (!options.database.empty()) {
    settings.conninfo.set("dbname", options.database);
  }
  core::pg::Client client(settings);
  Manifest manifest;
  manifest.database = client.execute("SELECT current_database()").text(0, 0);
  manifest.server_version = client.server_version();
  auto tools = find_pg_tools(major_version(manifest.server_version), options.pg_bin_dir);

  auto estimates = table_estimates(client);
  auto database = manifest.database;
  // Written under a temporary name and renamed after fsync: a dump that
  // fails, is cancelled or fills the disk leaves nothing behind.
  BackupWriter writer(options, std::move(manifest), ".dump.zst", context);
  core::pg::ToolAccess access(client, "golfops backup");
  // -Fc: one file pg_restore can restore in parallel (-j) and list; -Z0:
  // golfops compresses, with zstd on every core instead of gzip on one.
  core::Child dump({.argv = {tools.pg_dump.string(),
                             "--format=custom",
                             "--compress=0",
                             "--no-password",
                             "--dbname=" + access.conninfo()},
                    .environment = access.environment()});
  ArchiveScanner scanner;
  Throughput throughput(context.progress, "dumping " + database);
  std::vector<char> buffer(1 << 20);
  while (auto got = dump.read_stdout(buffer.data(), buffer.size())) {
    std::string_view piece(buffer.data(), got);
    throughput.add(got);
    scanner.feed(piece);
    writer.write(piece);
  }
  auto exit = dump.wait();
  // pg_dump's exit status decides, not the end of its output: the classic
  // `pg_dump | gzip` cron job keeps a truncated file when pg_dump dies.
  if (exit.exit_code != 0) {
    core::throw_failed(fmt::format("pg_dump of {} {}; no backup was written, earlier backups "
                                   "are untouched",
                                   database,
                                   describe_exit(exit)));
  }
  auto summary = scanner.finish();
  if (!summary.complete) {
    if (summary.problem.starts_with("archive version")) {
      context.log.warning(fmt::format("cannot count rows in pg_dump's archive ({}): the manifest "
                                      "records estimates only",
                                      summary.problem));
    } else {
      core::throw_failed(fmt::format("pg_dump of {} exited 0 but its archive is incomplete ({}); "
                                     "no backup was written",
                                     database,
                                     summary.problem));
    }
  }
  // The version the archive names, else the major of the pg_dump that ran
  // (restore and verify pick their pg_restore by it).
  writer.manifest().pg_dump_version =
      summary.pg_dump_version.empty() ? std::to_string(tools.major) : summary.pg_dump_version;
  writer.manifest().tables = summary.complete ? merge_counts(summary, estimates) : estimates;
  auto result = writer.commit();
  context.progress.finish();
  return result;
}

} // namespace golfops::commands::backup
