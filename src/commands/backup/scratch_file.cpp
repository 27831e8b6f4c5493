#include "commands/backup/scratch_file.hpp"

#include "core/crypto.hpp"
#include "core/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace golfops::commands::backup {

ScratchFile::ScratchFile(const std::filesystem::path& directory, std::string_view backup_id)
    : m_path(directory /
             fmt::format(".restore-{}-{}.{}.tmp", backup_id, core::random_hex(4), ::getpid())) {
  m_fd = core::UniqueFd(::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!m_fd) {
    core::throw_failed(fmt::format("cannot create {}: {}", m_path.string(), std::strerror(errno)));
  }
}

ScratchFile::~ScratchFile() {
  m_fd.reset();
  std::error_code ignored;
  std::filesystem::remove(m_path, ignored);
}

void ScratchFile::write(std::string_view data) {
  while (!data.empty()) {
    auto written = ::write(m_fd.get(), data.data(), data.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written < 0) {
      core::throw_failed(fmt::format("cannot write {}: {} (a restore needs room beside the "
                                     "backup for its temporary file)",
                                     m_path.string(),
                                     std::strerror(errno)));
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

void ScratchFile::close() {
  m_fd.reset();
}

} // namespace golfops::commands::backup
