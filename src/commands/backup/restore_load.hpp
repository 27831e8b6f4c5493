#pragma once

#include "commands/backup/archive_scan.hpp"
#include "commands/backup/backup.hpp"
#include "commands/backup/pg_tools.hpp"
#include "core/context.hpp"
#include "core/pg/client.hpp"
#include "core/pg/tool.hpp"

#include <optional>
#include <string>

namespace golfops::commands::backup {

// A pg_dump archive's header and table of contents: what it holds, and the
// bytes themselves, which pg_restore reads as an archive for everything
// but the rows.
struct ArchiveToc {
  ArchiveSummary summary;
  std::string bytes;
};

// Reads only as far as the end of the table of contents (decrypting and
// decompressing the start of the backup). nullopt when golfops does not
// read this archive (a newer archive version): pg_restore does it all.
std::optional<ArchiveToc>
read_toc(const BackupOptions& options, const Manifest& manifest, core::Context& context);

// Whether load_archive can restore it: every data block is table rows
// (large objects need pg_restore).
bool loadable(const ArchiveToc& toc);

// golfops' own parallel restore into the existing, checked `target`:
// pg_restore creates the schema (pre-data) from the TOC; golfops streams
// the backup once and loads every table's rows over options.jobs sessions
// at once (ParallelCopy), a big table split between them, with no
// uncompressed copy on disk; then pg_restore -j builds indexes,
// constraints and the rest (post-data), in parallel. Returns each table's
// stored rows from the server's COPY counts, in summary order.
std::vector<std::uint64_t> load_archive(const BackupOptions& options,
                                        const Manifest& manifest,
                                        const ArchiveToc& toc,
                                        const PgTools& tools,
                                        core::pg::ToolAccess& access,
                                        const core::pg::Settings& sessions,
                                        const std::string& target,
                                        core::Context& context);

} // namespace golfops::commands::backup
