#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "commands/backup/rdb.hpp"
#include "commands/backup/transfer.hpp"
#include "commands/version/version.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/redis/client.hpp"
#include "core/strings.hpp"
#include "core/zstd.hpp"

#include <fmt/format.h>
#include <thread>

namespace golfops::commands::backup {
namespace {

// "redis_version:7.0.15" from an INFO section.
std::string info_field(const std::string& info, std::string_view field) {
  for (const auto& line : core::split(info, '\n')) {
    if (line.starts_with(std::string(field) + ":")) {
      auto value = line.substr(field.size() + 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) {
        value.pop_back();
      }
      return value;
    }
  }
  return "";
}

// Keys per database at the time of the snapshot, from INFO keyspace
// ("db0:keys=12,expires=0,avg_ttl=0"): what a restore must bring back.
std::vector<TableRows> keyspace(const std::string& info) {
  std::vector<TableRows> databases;
  for (const auto& line : core::split(info, '\n')) {
    if (!line.starts_with("db")) {
      continue;
    }
    auto colon = line.find(':');
    auto keys = line.find("keys=");
    if (colon == std::string::npos || keys == std::string::npos) {
      continue;
    }
    databases.push_back({"redis",
                         line.substr(0, colon),
                         std::nullopt,
                         std::stoll(line.substr(keys + 5)),
                         std::nullopt});
  }
  return databases;
}

} // namespace

// The name Redis backups are kept under: <backup.dir>/redis/.
constexpr std::string_view k_redis = "redis";

BackupResult run_redis_backup(const BackupOptions& options, core::Context& context) {
  auto settings = core::redis::settings_from(context.config);
  core::redis::Client client(settings);
  Manifest manifest;
  manifest.database = std::string(k_redis);
  manifest.server_version = info_field(client.command({"INFO", "server"}).text, "redis_version");
  manifest.tables = keyspace(client.command({"INFO", "keyspace"}).text);
  manifest.format = "Redis RDB (SYNC), zstd";

  BackupSlot slot(options, manifest.database, context);
  const auto& directory = slot.directory();
  auto started = std::chrono::system_clock::now();
  manifest.id = new_backup_id(started);
  manifest.label = options.label;
  manifest.file = manifest.id + ".rdb.zst";
  manifest.golfops_version = version::golfops_version();
  manifest.started_at = core::format_utc_milliseconds(started);
  manifest.compression_level = options.compression_level;

  core::AtomicFile file(directory / manifest.file, 0600);
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  core::ZstdCompressor compressor(options.compression_level, threads);
  core::Sha256 sha256;
  RdbChecker checker;
  Throughput throughput(context.progress, "saving Redis " + client.address());
  core::Sink to_file = [&](std::string_view compressed) {
    sha256.update(compressed);
    file.write(compressed);
  };
  // The server saves (BGSAVE, or diskless to the socket) and streams the
  // RDB as it would to a new replica: no access to its disk needed.
  core::redis::Client sync(settings);
  sync.receive_snapshot(
      [&](std::string_view rdb) {
        throughput.add(rdb.size());
        checker.feed(rdb);
        compressor.write(rdb, to_file);
      },
      std::max(settings.command_timeout, core::Milliseconds(60000)));
  compressor.finish(to_file);
  if (auto problem = checker.finish(); !problem.empty()) {
    core::throw_failed(fmt::format("the snapshot from Redis at {} is damaged ({}); no backup was "
                                   "written",
                                   client.address(),
                                   problem));
  }
  file.commit();
  auto finished = std::chrono::system_clock::now();
  manifest.pg_dump_version = "RDB " + checker.version();
  manifest.finished_at = core::format_utc_milliseconds(finished);
  manifest.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count();
  manifest.bytes_in = throughput.total();
  manifest.bytes_out = file.bytes_written();
  manifest.sha256 = sha256.hex_digest();
  write_manifest(directory, manifest);
  context.progress.finish();
  return {manifest, directory / manifest.file};
}

} // namespace golfops::commands::backup
