#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "commands/backup/rdb.hpp"
#include "commands/backup/transfer.hpp"
#include "core/error.hpp"
#include "core/redis/client.hpp"
#include "core/strings.hpp"

#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

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
  manifest.server_version =
      core::redis::info_field(client.command({"INFO", "server"}).text, "redis_version");
  manifest.tables = keyspace(client.command({"INFO", "keyspace"}).text);
  manifest.format = "Redis RDB (SYNC), zstd";

  BackupWriter writer(options, std::move(manifest), ".rdb.zst", context);
  RdbChecker checker;
  Throughput throughput(context.progress, "saving Redis " + client.address());
  // The server saves (BGSAVE, or diskless to the socket) and streams the
  // RDB as it would to a new replica: no access to its disk needed.
  core::redis::Client sync(settings);
  sync.receive_snapshot(
      [&](std::string_view rdb) {
        throughput.add(rdb.size());
        checker.feed(rdb);
        writer.write(rdb);
      },
      std::max(settings.command_timeout, core::Milliseconds(60000)));
  if (auto problem = checker.finish(); !problem.empty()) {
    core::throw_failed(fmt::format("the snapshot from Redis at {} is damaged ({}); no backup was "
                                   "written",
                                   client.address(),
                                   problem));
  }
  writer.manifest().pg_dump_version = "RDB " + checker.version();
  auto result = writer.commit();
  context.progress.finish();
  return result;
}

} // namespace golfops::commands::backup
