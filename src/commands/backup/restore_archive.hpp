#pragma once

#include "commands/backup/backup.hpp"
#include "core/context.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace golfops::core::pg {
class Client;
}

namespace golfops::commands::backup {

// The archive file of a backup, and a check that it is the file the
// manifest describes (size, then SHA-256 when `checksum` runs).
std::filesystem::path archive_path(const BackupOptions& options, const Manifest& manifest);

// Throws Error(failed) naming the file and both checksums when they differ.
void require_checksum(const Manifest& manifest, const std::string& actual);

// Rows stored per table (schema, name) when golfops loaded them itself,
// from the server's COPY counts; nullopt when pg_restore did.
using LoadedRows = std::optional<std::map<std::pair<std::string, std::string>, std::uint64_t>>;

// Restores the backup into the database `target` with options.jobs
// sessions. The file's checksum is checked first, so a damaged backup
// changes nothing: `prepare` (creating the target) runs only after the
// check passed. golfops loads the rows itself (load_archive) unless
// --clean or large objects need pg_restore alone, which then gets a 0600
// uncompressed copy beside the backup for -j (always removed) or the
// stream for --jobs 1. `admin` is connected to the same server.
LoadedRows restore_archive(const BackupOptions& options,
                           const Manifest& manifest,
                           core::pg::Client& admin,
                           const std::string& target,
                           const std::function<void()>& prepare,
                           core::Context& context);

// Drops a database golfops created for a restore that did not finish (or a
// --restore-test), its sessions included; also after SIGINT, within a
// bounded time.
void drop_created_database(core::pg::Client& admin,
                           const std::string& name,
                           core::Context& context);

// Each table of the manifest with its `restored` count (the COPY counts
// in `loaded`, else count(*) in `target`), compared with the archive's
// rows: the mismatches.
std::vector<TableRows> count_restored(const Manifest& manifest,
                                      core::pg::Client& admin,
                                      const std::string& target,
                                      const LoadedRows& loaded,
                                      std::vector<std::string>& mismatches);

} // namespace golfops::commands::backup
