#include "commands/backup/restore_archive.hpp"

#include "commands/backup/catalog.hpp"
#include "commands/backup/pg_tools.hpp"
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
namespace {

// A decompressed copy of the archive for pg_restore -j (which needs a
// seekable file), created 0600 and removed when this object dies, on
// every path out (errors, SIGINT).
class ScratchFile {
public:
  explicit ScratchFile(std::filesystem::path path) : m_path(std::move(path)) {
    m_fd = core::UniqueFd(::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!m_fd) {
      core::throw_failed(
          fmt::format("cannot create {}: {}", m_path.string(), std::strerror(errno)));
    }
  }
  ~ScratchFile() {
    m_fd.reset();
    std::error_code ignored;
    std::filesystem::remove(m_path, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  void write(std::string_view data) {
    while (!data.empty()) {
      auto written = ::write(m_fd.get(), data.data(), data.size());
      if (written < 0 && errno == EINTR) {
        continue;
      }
      if (written < 0) {
        core::throw_failed(fmt::format("cannot write {}: {} (a parallel restore needs room for "
                                       "the uncompressed archive beside the backup; --jobs 1 "
                                       "streams it instead)",
                                       m_path.string(),
                                       std::strerror(errno)));
      }
      data.remove_prefix(static_cast<std::size_t>(written));
    }
  }
  void close() { m_fd.reset(); }
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
  core::UniqueFd m_fd;
};

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  auto newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

void require_success(const core::Child::Exit& exit, const std::string& target) {
  if (exit.exit_code != 0) {
    core::throw_failed(fmt::format("pg_restore into {} {}: {}",
                                   target,
                                   exit.signal != 0
                                       ? fmt::format("was killed by signal {}", exit.signal)
                                       : fmt::format("exited with {}", exit.exit_code),
                                   last_line(exit.stderr_tail)));
  }
}

} // namespace

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

void restore_archive(const BackupOptions& options,
                     const Manifest& manifest,
                     core::pg::Client& admin,
                     const std::string& target,
                     const std::function<void()>& prepare,
                     core::Context& context) {
  auto jobs = options.jobs;
  auto tools = find_pg_tools(major_version(manifest.pg_dump_version), options.pg_bin_dir);
  auto source = archive_path(options, manifest);
  core::pg::ToolAccess access(admin, "golfops restore", target);
  // Index and constraint builds dominate a restore: give each session room
  // to sort in memory, and skip waiting for WAL flushes that a failed
  // restore would redo anyway.
  access.add_server_options("-c maintenance_work_mem=256MB -c synchronous_commit=off");
  std::vector<std::string> argv = {tools.pg_restore.string(),
                                   "--dbname=" + access.conninfo(),
                                   "--no-password",
                                   "--exit-on-error",
                                   fmt::format("--jobs={}", jobs)};
  if (options.clean) {
    argv.insert(argv.end(), {"--clean", "--if-exists"});
  }
  if (jobs > 1) {
    ScratchFile scratch(
        source.parent_path() /
        fmt::format(".restore-{}-{}.{}.tmp", manifest.id, core::random_hex(4), ::getpid()));
    Throughput throughput(context.progress, "checking and unpacking " + manifest.id);
    core::Sink to_scratch = [&](std::string_view data) { scratch.write(data); };
    auto read = read_backup(options, manifest, &to_scratch, throughput);
    require_checksum(manifest, read.sha256);
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
    require_success(restore.wait(), target);
    return;
  }
  Throughput checking(context.progress, "checking " + manifest.id);
  require_checksum(manifest, read_backup(options, manifest, nullptr, checking).sha256);
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
  require_success(restore.wait(), target);
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
                                      std::vector<std::string>& mismatches) {
  core::pg::Client client(core::pg::settings_like(admin, target));
  std::vector<TableRows> tables;
  for (auto table : manifest.tables) {
    auto name = client.quote_identifier(table.schema) + "." + client.quote_identifier(table.name);
    table.restored = std::stoull(client.execute("SELECT count(*) FROM " + name).text(0, 0));
    if (table.rows && *table.rows != *table.restored) {
      mismatches.push_back(fmt::format(
          "{}: {} rows restored, the backup holds {}", name, *table.restored, *table.rows));
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

} // namespace golfops::commands::backup
