#pragma once

#include "commands/backup/retention.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "core/output/report.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::backup {

struct BackupOptions {
  std::filesystem::path dir = "backups"; // <dir>/<database>/<id>.dump.zst + <id>.json
  std::string dir_label = "backup.dir";
  std::string database;         // --database; empty: database.url's (all for list)
  std::string default_database; // database.url's dbname (or user), when it names one

  // --database, else database.url's; throws Error(usage) when neither names one.
  std::string chosen_database() const;
  std::string label;
  int compression_level = 3;
  int threads = 0;                  // zstd workers; 0: one per core
  std::filesystem::path pg_bin_dir; // empty: /usr/lib/postgresql/<server major>/bin
  RetentionPolicy retention;
  bool encrypt = false;           // backup --encrypt, backup.encrypt
  std::filesystem::path key_file; // backup.encryption_key_file; empty: none
  std::string key_file_label = "backup.encryption_key_file";
  bool key_file_from_flag = false; // --key-file on this command line

  std::string id = "latest"; // verify, restore: ID, a unique prefix, or latest
  bool redis = false;        // backup --redis, restore --redis
  bool restore_test = false; // verify --restore-test
  bool dry_run = false;      // prune
  bool yes = false;          // prune, restore
  std::string target_db;     // restore --target-db; empty: the backup's database
  bool create = false;       // restore --create
  bool clean = false;        // restore --clean
  int jobs = 2;              // restore --jobs
};

// Options from the backup.* keys and database.url (flags reach them
// through config). Throws Error(usage) naming the key and the value.
BackupOptions options_from(const core::config::Config& config);

struct TableRows {
  std::string schema;
  std::string name;
  std::optional<std::uint64_t> rows;     // exact, from the archive (nullopt: not read)
  std::optional<std::int64_t> estimate;  // pg_class.reltuples at backup time
  std::optional<std::uint64_t> restored; // restore / --restore-test: count(*) after
};

// The JSON file beside each backup: what it is and how to trust it.
struct Manifest {
  std::string id;
  std::string database;
  std::string label;
  std::string file; // the archive's file name, beside the manifest
  std::string format = "pg_dump custom (-Fc -Z0), zstd";
  std::string server_version; // "15.18"
  std::string pg_dump_version;
  std::string golfops_version;
  std::string started_at; // UTC, ISO 8601
  std::string finished_at;
  std::int64_t duration_ms = 0;
  std::uint64_t bytes_in = 0;  // pg_dump's output
  std::uint64_t bytes_out = 0; // the file
  std::string sha256;          // of the file
  int compression_level = 3;
  std::string encryption;      // "aes-256-gcm"; empty: not encrypted
  std::string key_fingerprint; // of the key it was encrypted with
  std::vector<TableRows> tables;
  std::string verified_at;  // empty: never verified
  std::string verified_how; // "checksum+archive", "restore-test"
};

struct BackupResult {
  Manifest manifest;
  std::filesystem::path path;
};

struct ListResult {
  std::vector<Manifest> backups; // newest first
  std::filesystem::path dir;
};

struct VerifyResult {
  Manifest manifest;
  bool ok = false;
  std::vector<std::string> problems;
  std::vector<TableRows> tables; // with restore-test counts
};

struct PruneEntry {
  Manifest manifest;
  bool keep = false;
  std::vector<std::string> reasons;
};

struct PruneResult {
  bool dry_run = false;
  std::vector<PruneEntry> entries; // newest first
  std::uint64_t bytes_freed = 0;
};

struct RestoreResult {
  Manifest manifest;
  std::string target_db;
  bool created = false;
  std::int64_t duration_ms = 0;
  // "golfops": golfops loaded the rows itself over --jobs sessions (counts
  // from COPY); "pg_restore": pg_restore did all of it (--clean, large
  // objects), counts from count(*) after; "redis": Redis loaded its RDB.
  std::string rows_loaded_by;
  std::vector<TableRows> tables;
  std::vector<std::string> mismatches; // tables whose restored count differs from the archive's
};

BackupResult run_backup(const BackupOptions& options, core::Context& context);
// backup --redis: an RDB snapshot of redis.url's server, taken over the
// replication protocol, kept under <backup.dir>/redis/.
BackupResult run_redis_backup(const BackupOptions& options, core::Context& context);
ListResult run_list(const BackupOptions& options, core::Context& context);
VerifyResult run_verify(const BackupOptions& options, core::Context& context);
PruneResult run_prune(const BackupOptions& options, core::Context& context);
RestoreResult run_restore(const BackupOptions& options, core::Context& context);
// restore --redis: the target (redis.url) replicates the backup's RDB from
// golfops, then becomes a master again; its keys are replaced.
RestoreResult run_redis_restore(const BackupOptions& options, core::Context& context);

core::output::Report render(const BackupResult& result);
core::output::Report render(const ListResult& result);
core::output::Report render(const VerifyResult& result);
core::output::Report render(const PruneResult& result);
core::output::Report render(const RestoreResult& result);

void add_config_keys();

// Prometheus textfile metrics for one database's backups, from the catalog
// on disk (so a failed run keeps the last success's time) and this run's
// error, if any; written atomically.
std::string
metrics_text(const BackupOptions& options, const std::string& database, const core::Error* error);
void write_metrics_file(const std::filesystem::path& path,
                        const BackupOptions& options,
                        const std::string& database,
                        const core::Error* error);

} // namespace golfops::commands::backup
