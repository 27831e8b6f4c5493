#include "commands/backup/archive_scan.hpp"
#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "commands/backup/pg_tools.hpp"
#include "commands/backup/rdb.hpp"
#include "commands/backup/restore_archive.hpp"
#include "commands/backup/transfer.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/pg/client.hpp"
#include "core/proc.hpp"

#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

// The archive read end to end: zstd's frame checksums, golfops' reading
// of every block and row, and pg_restore's own reading of the table of
// contents (it stops after the TOC; the rest is still decompressed).
void check_archive(const BackupOptions& options,
                   const Manifest& manifest,
                   VerifyResult& result,
                   core::Context& context) {
  auto tools = find_pg_tools(major_version(manifest.pg_dump_version), options.pg_bin_dir);
  core::Child toc({.argv = {tools.pg_restore.string(), "--list"},
                   .environment = core::base_environment(),
                   .standard_input = core::Stdio::to_pipe(),
                   .standard_output = core::Stdio::to_null()});
  bool toc_open = true;
  ArchiveScanner scanner;
  core::Sink archive = [&](std::string_view data) {
    scanner.feed(data);
    toc_open = toc_open && toc.write_stdin(data);
  };
  Throughput throughput(context.progress, "verifying " + manifest.id);
  auto read = read_backup(options, manifest, &archive, throughput);
  toc.close_stdin();
  auto listed = toc.wait();
  if (read.sha256 != manifest.sha256) {
    result.problems.push_back(fmt::format("SHA-256 of {} is {}, the manifest recorded {}",
                                          manifest.file,
                                          read.sha256,
                                          manifest.sha256));
    return;
  }
  if (!read.archive_error.empty()) {
    result.problems.push_back(fmt::format("{}: {}", manifest.file, read.archive_error));
    return;
  }
  if (listed.exit_code != 0) {
    result.problems.push_back(
        fmt::format("pg_restore --list cannot read the archive: {}", listed.stderr_tail));
  }
  auto summary = scanner.finish();
  if (summary.problem.starts_with("archive version")) {
    return; // a newer archive than golfops reads: checksum and pg_restore --list vouch for it
  }
  if (!summary.complete) {
    result.problems.push_back("the archive is incomplete: " + summary.problem);
    return;
  }
  for (const auto& table : summary.tables) {
    for (const auto& recorded : manifest.tables) {
      if (recorded.schema == table.schema && recorded.name == table.name && recorded.rows &&
          *recorded.rows != table.rows) {
        result.problems.push_back(fmt::format("{}.{}: {} rows in the archive, the manifest "
                                              "recorded {}",
                                              table.schema,
                                              table.name,
                                              table.rows,
                                              *recorded.rows));
      }
    }
  }
}

// A Redis backup: the file's SHA-256, then the RDB's header and CRC-64.
void check_rdb(const BackupOptions& options,
               const Manifest& manifest,
               VerifyResult& result,
               core::Context& context) {
  RdbChecker checker;
  core::Sink rdb = [&](std::string_view data) { checker.feed(data); };
  Throughput throughput(context.progress, "verifying " + manifest.id);
  auto read = read_backup(options, manifest, &rdb, throughput);
  if (read.sha256 != manifest.sha256) {
    result.problems.push_back(fmt::format("SHA-256 of {} is {}, the manifest recorded {}",
                                          manifest.file,
                                          read.sha256,
                                          manifest.sha256));
  } else if (!read.archive_error.empty()) {
    result.problems.push_back(fmt::format("{}: {}", manifest.file, read.archive_error));
  } else if (auto problem = checker.finish(); !problem.empty()) {
    result.problems.push_back(fmt::format("{}: {}", manifest.file, problem));
  }
}

// Restores into a throwaway database, counts every table, drops it.
void restore_test(const BackupOptions& options,
                  const Manifest& manifest,
                  VerifyResult& result,
                  core::Context& context) {
  core::pg::Client admin(core::pg::settings_from(context.config));
  auto scratch = fmt::format("golfops_verify_{}", core::random_hex(4));
  bool created = false;
  try {
    auto loaded = restore_archive(
        options,
        manifest,
        admin,
        scratch,
        [&] {
          admin.execute("CREATE DATABASE " + admin.quote_identifier(scratch));
          created = true;
        },
        context);
    result.tables = count_restored(manifest, admin, scratch, loaded, result.problems);
  } catch (const core::Error&) {
    if (created) {
      drop_created_database(admin, scratch, context);
    }
    throw;
  }
  drop_created_database(admin, scratch, context);
}

} // namespace

VerifyResult run_verify(const BackupOptions& options, core::Context& context) {
  VerifyResult result;
  result.manifest = find_backup(options, options.chosen_database(), options.id);
  auto& manifest = result.manifest;
  bool redis = is_redis_backup(manifest);
  key_for(options, manifest); // without the right key nothing is checked or recorded
  if (redis && options.restore_test) {
    core::throw_usage("--restore-test: not for a Redis backup (verify checks its SHA-256 and the "
                      "RDB's own CRC-64)");
  }
  if (redis) {
    check_rdb(options, manifest, result, context);
  } else {
    check_archive(options, manifest, result, context);
  }
  if (result.problems.empty() && options.restore_test) {
    try {
      restore_test(options, manifest, result, context);
    } catch (const core::Cancelled&) {
      throw;
    } catch (const core::Error& error) {
      if (error.code() == core::ExitCode::unreachable) {
        throw; // the server, not the backup: the manifest keeps what it knew
      }
      // A restore that fails is a failed verification, remembered as such.
      result.problems.push_back(fmt::format("the test restore failed: {}", error.what()));
    }
  }
  result.ok = result.problems.empty();
  // The manifest remembers the outcome: prune keeps the newest verified
  // backup, and a backup that fails now is verified no longer.
  manifest.verified_at = result.ok ? core::format_utc(std::chrono::system_clock::now()) : "";
  manifest.verified_how =
      result.ok ? (options.restore_test ? "restore-test" : "checksum+archive") : "failed";
  write_manifest(database_dir(options, manifest.database), manifest);
  context.progress.finish();
  return result;
}

} // namespace golfops::commands::backup
