#pragma once

#include "core/fd.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace golfops::core {

// A file written under a temporary name in the target's directory and
// renamed over the target only by commit() (after fsync; the directory is
// fsynced too). Readers see the old file or the whole new one, never a torn
// one; a writer that throws or is cancelled leaves nothing behind (the
// destructor removes the temporary file). `mode` applies from creation, so
// a secret is never readable by others even for an instant; the default is
// owner-only.
class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path target, mode_t mode = 0600);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view data);
  // Makes the file the target. Nothing may be written after.
  void commit();

  const std::filesystem::path& temporary_path() const { return m_temporary; }
  std::uint64_t bytes_written() const { return m_bytes; }

private:
  std::filesystem::path m_target;
  std::filesystem::path m_temporary;
  int m_fd = -1;
  std::uint64_t m_bytes = 0;
  bool m_committed = false;
};

// Writes `content` to `path` atomically (an AtomicFile written at once).
void atomic_write(const std::filesystem::path& path, std::string_view content, mode_t mode = 0600);

// Writes a file the user named (--junit, --html, --save-baseline,
// --metrics-file). A device, FIFO or /dev/stdout is written through, never
// replaced; a symbolic link keeps pointing where it did and its target is
// replaced atomically; anything else is written atomically at `path`.
void write_named_file(const std::filesystem::path& path, std::string_view content, mode_t mode);

// Where a command will write `path` with write_named_file: checked before
// anything runs so a typo or an unwritable place is a usage error, not a
// lost report afterwards. A file name in a directory where files can be
// created (tried), or an existing device or FIFO. Throws Error(usage)
// naming `field`.
void require_file_place(const std::filesystem::path& path, std::string_view field);

// The most read_file reads: files read whole are configs, migrations,
// scenarios and request bodies, never data.
inline constexpr std::uint64_t k_max_read_bytes = 256ULL << 20;

// Reads a whole file (or pipe) of at most k_max_read_bytes; throws
// Error(usage) naming `field` when it cannot be read, is a directory or is
// larger (/dev/zero).
std::string read_file(const std::filesystem::path& path,
                      std::string_view field,
                      std::uint64_t max_bytes = k_max_read_bytes);

// Reads a password file (Docker/Kubernetes secrets): one trailing newline is
// dropped, and the password is registered for redaction before it is returned.
std::string read_secret_file(const std::filesystem::path& path, std::string_view field);

// An advisory lock on a file (flock), released when the object dies or the
// process exits, so a killed holder never leaves a stale lock behind.
class FileLock {
public:
  // Waits up to `timeout` for the lock; throws Error(refused) naming the
  // holder's pid (written into the file) when it stays taken.
  FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

private:
  UniqueFd m_fd;
};

} // namespace golfops::core
