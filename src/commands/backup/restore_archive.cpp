#include "commands/backup/restore_archive.hpp"

#include "commands/backup/catalog.hpp"
#include "commands/backup/pg_tools.hpp"
#include "commands/backup/restore_load.hpp"
#include "commands/backup/scratch_file.hpp"
#include "commands/backup/transfer.hpp"
#include "core/cancel.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/client.hpp"
#include "core/pg/tool.hpp"
#include "core/proc.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace golfops::commands::backup {
namespace {} // namespace

std::filesystem::path archive_path(const BackupOptions& options, const Manifest& manifest) {
  return database_dir(options, manifest.database) / manifest.file;
}

void require_checksum(const Manifest& manifest, const std::string& actual) {
  if (actual != manifest.sha256) {
    core::throw_failed(fmt::format("backup {}: {} is damaged: its SHA-256 is {}, the manifest "
                                   "recorded {}; nothing was restored",
                                   manifest.id,
                                   manifest.file,
                                   actual,
                                   manifest.sha256));
  }
}

LoadedRows restore_archive(const BackupOptions& options,
                           const Manifest& manifest,
                           core::pg::Client& admin,
                           const std::string& target,
                           const std::function<void()>& prepare,
                           core::Context& context) {
  // pg_restore -j needs a seekable file: a decompressed copy beside the
  // backup, but never of an encrypted backup (its rows would then sit on
  // disk in the clear): that one streams, as --jobs 1 does.
  auto jobs = manifest.encryption.empty() ? options.jobs : 1;
  auto tools = find_pg_tools(major_version(manifest.pg_dump_version), options.pg_bin_dir);
  core::pg::ToolAccess access(admin, "golfops restore", target);
  // Index and constraint builds dominate a restore: give each session room
  // to sort in memory, and skip waiting for WAL flushes that a failed
  // restore would redo anyway.
  access.add_server_options("-c maintenance_work_mem=256MB -c synchronous_commit=off");
  {
    Throughput checking(context.progress, "checking " + manifest.id);
    require_checksum(manifest, read_backup(options, manifest, nullptr, checking).sha256);
  }
  // --clean needs pg_restore's own drop phase (in dependency order, over
  // objects golfops does not load), and large objects its own loader.
  if (!options.clean) {
    if (auto toc = read_toc(options, manifest, context); toc && loadable(*toc)) {
      prepare();
      auto rows = load_archive(options,
                               manifest,
                               *toc,
                               tools,
                               access,
                               core::pg::settings_like(admin, target),
                               target,
                               context);
      std::map<std::pair<std::string, std::string>, std::uint64_t> loaded;
      for (std::size_t table = 0; table < rows.size(); ++table) {
        const auto& archived = toc->summary.tables[table];
        loaded[{archived.schema, archived.name}] += rows[table];
      }
      return loaded;
    }
  }
  std::vector<std::string> argv = {tools.pg_restore.string(),
                                   "--dbname=" + access.conninfo(),
                                   "--no-password",
                                   "--exit-on-error",
                                   fmt::format("--jobs={}", jobs)};
  if (options.clean) {
    argv.insert(argv.end(), {"--clean", "--if-exists"});
  }
  if (jobs > 1) {
    ScratchFile scratch(database_dir(options, manifest.database), manifest.id);
    Throughput throughput(context.progress, "unpacking " + manifest.id);
    core::Sink to_scratch = [&](std::string_view data) { scratch.write(data); };
    auto read = read_backup(options, manifest, &to_scratch, throughput);
    if (!read.archive_error.empty()) {
      core::throw_failed(fmt::format("backup {}: {}: {}; nothing was restored",
                                     manifest.id,
                                     manifest.file,
                                     read.archive_error));
    }
    scratch.close();
    prepare();
    argv.push_back(scratch.path().string());
    context.progress.status(
        fmt::format("restoring {} into {} ({} jobs)", manifest.id, target, jobs));
    core::Child restore({.argv = argv,
                         .environment = access.environment(),
                         .standard_output = core::Stdio::to_null()});
    require_tool_success(restore.wait(), "pg_restore into " + target);
    return std::nullopt;
  }
  prepare();
  core::Child restore({.argv = argv,
                       .environment = access.environment(),
                       .standard_input = core::Stdio::to_pipe(),
                       .standard_output = core::Stdio::to_null()});
  Throughput streaming(context.progress, "restoring " + manifest.id + " into " + target);
  bool open = true;
  core::Sink to_restore = [&](std::string_view data) { open = open && restore.write_stdin(data); };
  auto streamed = read_backup(options, manifest, &to_restore, streaming);
  restore.close_stdin();
  if (!streamed.archive_error.empty()) {
    core::throw_failed(
        fmt::format("backup {}: {}: {}", manifest.id, manifest.file, streamed.archive_error));
  }
  require_tool_success(restore.wait(), "pg_restore into " + target);
  return std::nullopt;
}

void drop_created_database(core::pg::Client& admin,
                           const std::string& name,
                           core::Context& context) {
  core::CancellationShield shield;
  try {
    auto settings = core::pg::settings_like(admin);
    settings.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    core::pg::Client client(settings);
    // Its sessions first (pg_restore workers a signal left behind), then the
    // database: DROP ... WITH (FORCE) would need PostgreSQL 13.
    client.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND "
                   "pid <> pg_backend_pid()",
                   {name});
    client.execute("DROP DATABASE IF EXISTS " + client.quote_identifier(name));
  } catch (const core::Error& error) {
    context.log.warning(fmt::format("could not drop database {} that golfops created: {}; drop "
                                    "it with DROP DATABASE {}",
                                    name,
                                    error.what(),
                                    admin.quote_identifier(name)));
  }
}

std::vector<TableRows> count_restored(const Manifest& manifest,
                                      core::pg::Client& admin,
                                      const std::string& target,
                                      const LoadedRows& loaded,
                                      std::vector<std::string>& mismatches) {
  core::pg::Client client(core::pg::settings_like(admin, target));
  std::vector<TableRows> tables;
  for (auto table : manifest.tables) {
    auto name = client.quote_identifier(table.schema) + "." + client.quote_identifier(table.name);
    if (loaded) {
      auto stored = loaded->find({table.schema, table.name});
      table.restored = stored == loaded->end() ? 0 : stored->second;
    } else {
      table.restored = std::stoull(client.execute("SELECT count(*) FROM " + name).text(0, 0));
    }
    if (table.rows && *table.rows != *table.restored) {
      mismatches.push_back(fmt::format(
          "{}: {} rows restored, the backup holds {}", name, *table.restored, *table.rows));
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

} // namespace golfops::commands::backup
