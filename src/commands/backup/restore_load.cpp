#include "commands/backup/restore_load.hpp"

#include "commands/backup/catalog.hpp"
#include "commands/backup/copy_loader.hpp"
#include "commands/backup/scratch_file.hpp"
#include "commands/backup/transfer.hpp"
#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/proc.hpp"

#include <cctype>
#include <chrono>
#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

// Ends the read of a backup once the table of contents is in hand.
struct EnoughRead {};

// "3360; 0 16487 TABLE DATA public t owner": an entry of `pg_restore -l`
// whose rows golfops loads itself. Parsed by position, so a table named
// "TABLE DATA" elsewhere on the line cannot match.
bool is_table_data_entry(std::string_view line) {
  auto fields = line.find("; ");
  if (fields == std::string_view::npos || line.starts_with(';')) {
    return false;
  }
  auto rest = line.substr(fields + 2);
  for (int number = 0; number < 2; ++number) { // catalog oid, object oid
    auto space = rest.find(' ');
    if (space == std::string_view::npos) {
      return false;
    }
    rest.remove_prefix(space + 1);
  }
  return rest.starts_with("TABLE DATA ");
}

std::string list_without_table_data(const PgTools& tools, const ScratchFile& toc_file) {
  core::Child list({.argv = {tools.pg_restore.string(), "--list", toc_file.path().string()},
                    .environment = core::base_environment(),
                    .standard_output = core::Stdio::to_pipe()});
  std::string listing;
  char buffer[65536];
  while (auto got = list.read_stdout(buffer, sizeof buffer)) {
    listing.append(buffer, got);
  }
  require_tool_success(list.wait(), "pg_restore --list");
  std::string kept;
  std::size_t at = 0;
  while (at < listing.size()) {
    auto end = listing.find('\n', at);
    end = end == std::string::npos ? listing.size() : end + 1;
    auto line = std::string_view(listing).substr(at, end - at);
    if (!is_table_data_entry(line)) {
      kept.append(line);
    }
    at = end;
  }
  return kept;
}

} // namespace

std::optional<ArchiveToc>
read_toc(const BackupOptions& options, const Manifest& manifest, core::Context& context) {
  ArchiveScanner scanner;
  std::optional<ArchiveToc> toc;
  scanner.listen({.on_toc = [&](const ArchiveSummary& summary, std::string_view bytes) {
    toc = ArchiveToc{summary, std::string(bytes)};
    throw EnoughRead{};
  }});
  core::Sink archive = [&](std::string_view data) {
    scanner.feed(data);
    if (scanner.stopped()) {
      throw EnoughRead{}; // not an archive golfops reads: pg_restore will
    }
  };
  Throughput reading(context.progress, "reading " + manifest.id);
  try {
    read_backup(options, manifest, &archive, reading);
  } catch (const EnoughRead&) {
  }
  return toc;
}

bool loadable(const ArchiveToc& toc) {
  return !toc.summary.other_data;
}

std::vector<std::uint64_t> load_archive(const BackupOptions& options,
                                        const Manifest& manifest,
                                        const ArchiveToc& toc,
                                        const PgTools& tools,
                                        core::pg::ToolAccess& access,
                                        const core::pg::Settings& sessions,
                                        const std::string& target,
                                        core::Context& context) {
  auto directory = database_dir(options, manifest.database);
  ScratchFile toc_file(directory, manifest.id);
  toc_file.write(toc.bytes);
  toc_file.close();
  auto pg_restore = [&](std::vector<std::string> arguments, std::string_view phase) {
    std::vector<std::string> argv = {tools.pg_restore.string(),
                                     "--dbname=" + access.conninfo(),
                                     "--no-password",
                                     "--exit-on-error"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    argv.push_back(toc_file.path().string());
    core::Child child({.argv = argv,
                       .environment = access.environment(),
                       .standard_output = core::Stdio::to_null()});
    require_tool_success(child.wait(), fmt::format("pg_restore ({}) into {}", phase, target));
  };

  // Each phase's time, for --verbose: where a slow restore spends it.
  auto phase_start = std::chrono::steady_clock::now();
  auto phase_done = [&](std::string_view phase) {
    auto now = std::chrono::steady_clock::now();
    context.log.debug(fmt::format("restore {}: {} in {:.2f} s",
                                  manifest.id,
                                  phase,
                                  std::chrono::duration<double>(now - phase_start).count()));
    phase_start = now;
  };
  context.progress.status(fmt::format("restoring {} into {}: schema", manifest.id, target));
  pg_restore({"--section=pre-data"}, "schema");
  phase_done("schema (pg_restore --section=pre-data)");

  std::vector<ParallelCopy::Table> tables;
  for (const auto& table : toc.summary.tables) {
    tables.push_back({table.schema + "." + table.name, table.copy_statement});
  }
  // As pg_restore sets its sessions up, and no waiting for WAL flushes
  // that a failed restore would redo anyway.
  ParallelCopy copy(
      sessions,
      options.jobs,
      std::move(tables),
      "SET statement_timeout = 0; SET lock_timeout = 0; SET synchronous_commit = off; "
      "SET row_security = off; " +
          toc.summary.session_sql);
  ArchiveScanner scanner;
  scanner.listen(
      {.on_rows = [&](std::size_t table, std::string_view rows) { copy.add(table, rows); },
       .on_table_end = [&](std::size_t table) { copy.end_table(table); }});
  // A failure while loading (a refused row, a lost session) keeps its own
  // type and exit code, and stops the read at once: it is held here and
  // the read ended with a sentinel (read_backup turns a core::Error into
  // an archive error and reads on to the end for the checksum).
  std::exception_ptr failure;
  core::Sink archive = [&](std::string_view data) {
    try {
      scanner.feed(data);
    } catch (const core::Cancelled&) {
      throw;
    } catch (...) {
      failure = std::current_exception();
      throw EnoughRead{};
    }
  };
  Throughput loading(
      context.progress,
      fmt::format("loading {} into {} ({} sessions)", manifest.id, target, options.jobs));
  ReadBackup read;
  try {
    read = read_backup(options, manifest, &archive, loading);
  } catch (const EnoughRead&) {
    std::rethrow_exception(failure);
  }
  // The file changed since its checksum passed (replaced while restoring):
  // what was loaded is not the backup.
  if (read.sha256 != manifest.sha256) {
    core::throw_failed(fmt::format("backup {}: {} changed while it was restored (its SHA-256 is "
                                   "now {}); what was loaded into {} is not the backup",
                                   manifest.id,
                                   manifest.file,
                                   read.sha256,
                                   target));
  }
  if (!read.archive_error.empty()) {
    core::throw_failed(
        fmt::format("backup {}: {}: {}", manifest.id, manifest.file, read.archive_error));
  }
  auto summary = scanner.finish();
  if (!summary.complete) {
    core::throw_failed(
        fmt::format("backup {}: the archive is incomplete ({}); run golfops backup verify",
                    manifest.id,
                    summary.problem));
  }
  auto rows = copy.finish();
  phase_done(fmt::format("rows ({} COPY sessions)", options.jobs));

  context.progress.status(fmt::format("restoring {} into {}: indexes and constraints ({} jobs)",
                                      manifest.id,
                                      target,
                                      options.jobs));
  ScratchFile list(directory, manifest.id);
  list.write(list_without_table_data(tools, toc_file));
  list.close();
  pg_restore({fmt::format("--jobs={}", options.jobs),
              "--use-list=" + list.path().string(),
              "--section=data",
              "--section=post-data"},
             "indexes and constraints");
  phase_done(fmt::format("indexes and constraints (pg_restore --jobs={})", options.jobs));
  return rows;
}

} // namespace golfops::commands::backup
