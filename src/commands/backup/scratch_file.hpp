#pragma once

#include "core/fd.hpp"

#include <filesystem>
#include <string_view>

namespace golfops::commands::backup {

// A restore's temporary file beside the backups (the uncompressed archive
// for pg_restore -j, which needs a seekable file; the table of contents
// golfops' own loader hands pg_restore), created 0600 and removed when this
// object dies, on every path out (errors, SIGINT). Named
// ".restore-<id>-<random>.<pid>.tmp": the next backup sweeps one whose
// restore died with kill -9.
class ScratchFile {
public:
  ScratchFile(const std::filesystem::path& directory, std::string_view backup_id);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Throws Error(failed) naming the file (a full disk, say).
  void write(std::string_view data);
  void close();
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
  core::UniqueFd m_fd;
};

} // namespace golfops::commands::backup
