#pragma once

#include "commands/backup/backup.hpp"
#include "core/encryption.hpp"
#include "core/output/progress.hpp"
#include "core/zstd.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace golfops::commands::backup {

// Bytes moved and the rate, shown about once a second on a terminal (or
// with --progress): "dumping golf: 1.2 GiB, 85.0 MiB/s".
class Throughput {
public:
  Throughput(core::output::Progress& progress, std::string what);
  void add(std::uint64_t bytes);
  std::uint64_t total() const { return m_total; }
  std::int64_t elapsed_ms() const;

private:
  core::output::Progress& m_progress;
  std::string m_what;
  std::uint64_t m_total = 0;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m_shown = m_start;
};

struct ReadBackup {
  std::string sha256;        // lower-case hex, of the whole file
  std::string archive_error; // why decompressing (or `archive`) stopped; "" when it did not
};

// The key an encrypted backup needs, from options.key_file; nullopt when
// the backup is not encrypted. Throws Error(usage) when no key file is
// given or its key is not the one the backup was encrypted with (by
// fingerprint): both before a byte of the backup is read.
std::optional<core::EncryptionKey> key_for(const BackupOptions& options, const Manifest& manifest);

// Reads a backup file once, computing its SHA-256 and, when `archive` is
// set, passing the archive to it piece by piece, decrypted (with
// key_for's key) and decompressed. A corrupt frame or chunk (or an error
// from `archive`) stops the decoding but not the hashing, so the caller
// reports the checksum first: the clearer fact. Throws Error(failed) when
// the file cannot be read; Cancelled on SIGINT/SIGTERM.
ReadBackup read_backup(const BackupOptions& options,
                       const Manifest& manifest,
                       const core::Sink* archive,
                       Throughput& throughput);

} // namespace golfops::commands::backup
