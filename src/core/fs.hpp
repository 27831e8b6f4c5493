#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace golfops::core {

// Writes `content` to `path` atomically: a temp file in the same directory,
// fsync, rename over the target, fsync of the directory. Readers see the old
// file or the new one, never a torn one. `mode` applies from creation, so a
// secret is never readable by others even for an instant.
void atomic_write(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Reads a whole file; throws Error(usage) naming `field` when it cannot be read.
std::string read_file(const std::filesystem::path& path, std::string_view field);

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
  int m_fd = -1;
};

} // namespace golfops::core
