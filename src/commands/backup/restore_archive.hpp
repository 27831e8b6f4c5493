#pragma once

#include "commands/backup/backup.hpp"
#include "core/context.hpp"

#include <filesystem>
#include <functional>
#include <string>
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

// Restores the backup into the existing database `target` with `jobs`
// parallel pg_restore workers: the file's checksum is checked first (in
// the same pass that decompresses it for a parallel restore, into a 0600
// temporary file beside it that is always removed), so a damaged backup
// changes nothing: `prepare` (creating the target) runs only after the
// check passed. `admin` is connected to the same server.
void restore_archive(const BackupOptions& options,
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

// count(*) of each table of the manifest in `target`, compared with the
// archive's rows: the tables with a `restored` count, and the mismatches.
std::vector<TableRows> count_restored(const Manifest& manifest,
                                      core::pg::Client& admin,
                                      const std::string& target,
                                      std::vector<std::string>& mismatches);

} // namespace golfops::commands::backup
