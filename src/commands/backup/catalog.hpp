#pragma once

#include "commands/backup/backup.hpp"
#include "core/context.hpp"
#include "core/fs.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::backup {

// An RDB snapshot (backup --redis) rather than a pg_dump archive.
inline bool is_redis_backup(const Manifest& manifest) {
  return manifest.file.find(".rdb.zst") != std::string::npos;
}

// Where a database's backups live: <dir>/<database>/.
std::filesystem::path database_dir(const BackupOptions& options, const std::string& database);

std::filesystem::path manifest_path(const std::filesystem::path& directory, const std::string& id);

// The manifest as written to <id>.json and shown by -o json.
nlohmann::json manifest_to_json(const Manifest& manifest);
// Tables with their archived, estimated and restored counts (null: unknown).
nlohmann::json tables_to_json(const std::vector<TableRows>& tables);

// Writes the manifest atomically (0600). A backup appears in `list` only
// once its manifest exists, and the manifest is written after the archive
// is complete and renamed into place.
void write_manifest(const std::filesystem::path& directory, const Manifest& manifest);

// Every backup with a readable manifest whose archive is present, newest
// first; for `database`, or for every database under the backup dir when
// it is empty. For one database, only the kind options.redis asks for (RDB
// snapshots or pg_dump archives). Unreadable manifests are skipped with a
// warning in `problems`.
std::vector<Manifest> list_backups(const BackupOptions& options,
                                   const std::string& database,
                                   std::vector<std::string>* problems = nullptr);

// "latest" (the database's newest), a full id, or a unique prefix of one.
// Throws Error(usage) naming what exists when nothing or several match.
Manifest
find_backup(const BackupOptions& options, const std::string& database, const std::string& wanted);

// Unix time of a manifest timestamp ("2026-11-25T03:15:02.123Z", the
// milliseconds optional); 0 when unreadable.
double epoch_seconds(const std::string& timestamp);

// "20261125T170102Z-1a2b3c4d": sorts by time, unique without coordination.
std::string new_backup_id(std::chrono::system_clock::time_point now);

// Where one backup is written: <dir>/<name>, created 0700, locked for the
// backup's lifetime (a second backup of the same name exits 4 naming the
// holder; the kernel drops the lock with a killed holder), and cleared of
// the temporary files killed backups left.
class BackupSlot {
public:
  BackupSlot(const BackupOptions& options, const std::string& name, core::Context& context);
  const std::filesystem::path& directory() const { return m_directory; }

private:
  std::filesystem::path m_directory;
  std::optional<core::FileLock> m_lock;
};

// One backup being written, from start to manifest: the slot (directory
// and lock), a manifest begun now, and the file under a temporary name,
// zstd-compressed on the configured threads, its SHA-256 taken of the
// bytes that land on disk. Nothing is visible until commit(); destroyed
// without it (an error, SIGINT), it leaves nothing behind.
class BackupWriter {
public:
  // `name`: the database, or "redis"; `extension`: ".dump.zst", ".rdb.zst"
  // (".enc" is added when options.encrypt: the file is then encrypted with
  // the key file's key after compression).
  BackupWriter(const BackupOptions& options,
               Manifest manifest,
               std::string_view extension,
               core::Context& context);
  ~BackupWriter();

  Manifest& manifest() { return m_manifest; }
  // Uncompressed bytes, counted as bytes_in.
  void write(std::string_view data);
  // Finishes the file (fsync, rename), then writes the manifest.
  BackupResult commit();

private:
  void store(std::string_view compressed);
  void land(std::string_view bytes);

  BackupSlot m_slot;
  Manifest m_manifest;
  std::chrono::system_clock::time_point m_started;
  std::unique_ptr<core::AtomicFile> m_file;
  struct Compression;
  std::unique_ptr<Compression> m_compression;
};

} // namespace golfops::commands::backup
