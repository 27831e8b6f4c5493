#include "commands/backup/backup.hpp"
#include "core/config/config.hpp"
#include "core/config/schema.hpp"
#include "core/encryption.hpp"
#include "core/error.hpp"
#include "core/pg/conninfo.hpp"

#include <fmt/format.h>
#include <optional>
#include <pwd.h>
#include <unistd.h>

namespace golfops::commands::backup {
namespace {

int bounded(const core::config::Config& config,
            std::string_view key,
            long long low,
            long long high) {
  auto value = config.integer(key);
  if (value < low || value > high) {
    core::throw_usage(fmt::format("{}: invalid value {} (expected {} to {})",
                                  core::config::value_label(config.value(key), key),
                                  value,
                                  low,
                                  high));
  }
  return static_cast<int>(value);
}

} // namespace

void add_config_keys() {
  using core::config::ValueType;
  core::config::add_keys({
      {.name = "backup.dir",
       .type = ValueType::path,
       .default_value = "backups",
       .description = "where backups go: <dir>/<database>/<id>.dump.zst and <id>.json"},
      {.name = "backup.keep_last",
       .type = ValueType::integer,
       .default_value = "0",
       .description = "prune keeps the newest N backups"},
      {.name = "backup.keep_daily",
       .type = ValueType::integer,
       .default_value = "7",
       .description = "prune keeps the newest backup of each of the last N days with one (UTC)"},
      {.name = "backup.keep_weekly",
       .type = ValueType::integer,
       .default_value = "4",
       .description = "prune keeps the newest backup of each of the last N ISO weeks with one"},
      {.name = "backup.keep_monthly",
       .type = ValueType::integer,
       .default_value = "6",
       .description = "prune keeps the newest backup of each of the last N months with one"},
      {.name = "backup.compression_level",
       .type = ValueType::integer,
       .default_value = "3",
       .description = "zstd level, 1 (fastest) to 19 (smallest)"},
      {.name = "backup.threads",
       .type = ValueType::integer,
       .default_value = "0",
       .description = "zstd worker threads; 0 uses every core"},
      {.name = "backup.pg_bin_dir",
       .type = ValueType::path,
       .default_value = "",
       .description = "directory with pg_dump and pg_restore; default: "
                      "/usr/lib/postgresql/<server major>/bin"},
      {.name = "backup.encrypt",
       .type = ValueType::boolean,
       .default_value = "false",
       .description = "encrypt new backups (AES-256-GCM) with backup.encryption_key_file's key"},
      {.name = "backup.encryption_key_file",
       .type = ValueType::path,
       .default_value = "",
       .description = "key for encrypting backups and reading encrypted ones: 64 hex digits "
                      "(openssl rand -hex 32), not readable by every user"},
      {.name = "backup.jobs",
       .type = ValueType::integer,
       .default_value = "2",
       .description = "parallel pg_restore workers for restore and verify --restore-test"},
  });
}

std::string BackupOptions::chosen_database() const {
  if (!database.empty()) {
    return database;
  }
  if (default_database.empty()) {
    core::throw_usage("--database: database.url names no database; give --database NAME");
  }
  return default_database;
}

BackupOptions options_from(const core::config::Config& config) {
  BackupOptions options;
  options.dir = config.text("backup.dir");
  options.dir_label = core::config::value_label(config.value("backup.dir"), "backup.dir");
  std::error_code error;
  if (options.dir.empty()) {
    core::throw_usage(
        fmt::format("{}: '' is not a directory (expected where backups go)", options.dir_label));
  }
  if (std::filesystem::exists(options.dir, error) &&
      !std::filesystem::is_directory(options.dir, error)) {
    core::throw_usage(fmt::format("{}: '{}' is not a directory (expected where backups go; set "
                                  "it with --dir or backup.dir)",
                                  options.dir_label,
                                  options.dir.string()));
  }
  options.pg_bin_dir = config.text("backup.pg_bin_dir");
  options.encrypt = config.boolean("backup.encrypt");
  options.key_file = config.text("backup.encryption_key_file");
  options.key_file_label = core::config::value_label(config.value("backup.encryption_key_file"),
                                                     "backup.encryption_key_file");
  if (!options.key_file.empty()) {
    core::read_key_file(options.key_file, options.key_file_label); // a bad one stops every verb
  }
  if (options.encrypt && options.key_file.empty()) {
    core::throw_usage(
        fmt::format("{}: true needs backup.encryption_key_file (or --key-file): a "
                    "file with 64 hex digits, e.g. from `openssl rand -hex 32`",
                    core::config::value_label(config.value("backup.encrypt"), "backup.encrypt")));
  }
  options.compression_level = bounded(config, "backup.compression_level", 1, 19);
  options.threads = bounded(config, "backup.threads", 0, 256);
  options.jobs = bounded(config, "backup.jobs", 1, 64);
  options.retention = {bounded(config, "backup.keep_last", 0, 100000),
                       bounded(config, "backup.keep_daily", 0, 100000),
                       bounded(config, "backup.keep_weekly", 0, 100000),
                       bounded(config, "backup.keep_monthly", 0, 100000)};
  auto conninfo = core::pg::parse_conninfo(config.text("database.url"), "database.url");
  // As libpq picks it: the URL's dbname, PGDATABASE, then the user name
  // (the URL's, PGUSER, the login), so list, verify, prune and restore look
  // where backup wrote.
  const auto& environment = config.environment();
  auto from_environment = [&](const char* name) -> std::optional<std::string> {
    auto found = environment.find(name);
    if (found == environment.end() || found->second.empty()) {
      return std::nullopt;
    }
    return found->second;
  };
  auto login = [] {
    const auto* entry = ::getpwuid(::geteuid());
    return entry != nullptr ? std::string(entry->pw_name) : std::string();
  };
  for (const auto& candidate : {conninfo.get("dbname"),
                                from_environment("PGDATABASE"),
                                conninfo.get("user"),
                                from_environment("PGUSER"),
                                std::optional<std::string>(login())}) {
    if (candidate && !candidate->empty()) {
      options.default_database = *candidate;
      break;
    }
  }
  return options;
}

} // namespace golfops::commands::backup
