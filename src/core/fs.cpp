#include "core/fs.hpp"

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "core/units.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace golfops::core {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

void write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    auto written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_failed(fmt::format("cannot write {}: {}", path.string(), errno_text()));
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
}

void fsync_directory(const std::filesystem::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

} // namespace

AtomicFile::AtomicFile(std::filesystem::path target, mode_t mode) : m_target(std::move(target)) {
  auto directory =
      m_target.parent_path().empty() ? std::filesystem::path(".") : m_target.parent_path();
  std::string temp =
      (directory / fmt::format(".{}.tmp.XXXXXX", m_target.filename().string())).string();
  m_fd = ::mkostemp(temp.data(), O_CLOEXEC); // never inherited by a child
  if (m_fd < 0) {
    throw_failed(
        fmt::format("cannot create a temporary file in {}: {}", directory.string(), errno_text()));
  }
  m_temporary = temp;
  if (::fchmod(m_fd, mode) != 0) {
    auto error = errno_text();
    ::close(m_fd);
    ::unlink(m_temporary.c_str());
    throw_failed(fmt::format("cannot set the mode of {}: {}", temp, error));
  }
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  if (!m_committed) {
    ::unlink(m_temporary.c_str());
  }
}

void AtomicFile::write(std::string_view data) {
  write_all(m_fd, data, m_temporary);
  m_bytes += data.size();
}

void AtomicFile::commit() {
  if (::fsync(m_fd) != 0) {
    throw_failed(fmt::format("cannot fsync {}: {}", m_temporary.string(), errno_text()));
  }
  ::close(m_fd);
  m_fd = -1;
  if (::rename(m_temporary.c_str(), m_target.c_str()) != 0) {
    throw_failed(fmt::format(
        "cannot rename {} to {}: {}", m_temporary.string(), m_target.string(), errno_text()));
  }
  m_committed = true;
  fsync_directory(m_target.parent_path().empty() ? std::filesystem::path(".")
                                                 : m_target.parent_path());
}

void atomic_write(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  AtomicFile file(path, mode);
  file.write(content);
  file.commit();
}

void require_file_place(const std::filesystem::path& path, std::string_view field) {
  auto text = path.string();
  auto directory = path.parent_path();
  std::error_code error;
  if (text.empty() || text.ends_with('/')) {
    throw_usage(fmt::format("{}: '{}' is not a file name", field, text));
  }
  if (!directory.empty() && !std::filesystem::is_directory(directory, error)) {
    throw_usage(fmt::format("{}: '{}': no directory '{}'", field, text, directory.string()));
  }
  if (std::filesystem::is_directory(path, error)) {
    throw_usage(fmt::format("{}: '{}' is a directory (expected a file name)", field, text));
  }
}

std::string
read_file(const std::filesystem::path& path, std::string_view field, std::uint64_t max_bytes) {
  // POSIX calls rather than an ifstream: `migrate status` reads every
  // migration file, and a stream's locale and buffer set-up cost more than
  // the read itself.
  auto failed = [&] {
    throw_usage(fmt::format("{}: cannot read '{}': {}", field, path.string(), errno_text()));
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer (one without
  // reads as empty). Pipes stay readable (--body-file /dev/stdin, <(...));
  // what never ends (/dev/zero) stops at the cap.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    failed();
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    failed();
  }
  if (S_ISDIR(info.st_mode)) {
    throw_usage(fmt::format("{}: '{}' is a directory", field, path.string()));
  }
  if (!S_ISREG(info.st_mode)) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK); // a pipe's writer may be slow
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    throw_usage(fmt::format("{}: '{}' is {}, more than golfops reads whole ({})",
                            field,
                            path.string(),
                            format_size(static_cast<std::uint64_t>(info.st_size)),
                            format_size(max_bytes)));
  }
  // Read straight into the string, sized from fstat with one spare byte so
  // that end of file is seen without a second buffer; grows if the file does.
  std::size_t expected = info.st_size > 0 ? static_cast<std::size_t>(info.st_size) : 0;
  std::string text(expected + 1, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      text.resize(text.size() * 2);
    }
    auto got = ::read(fd, text.data() + used, text.size() - used);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      failed();
    }
    if (got == 0) {
      text.resize(used);
      return text;
    }
    used += static_cast<std::size_t>(got);
    if (used > max_bytes) {
      throw_usage(fmt::format(
          "{}: '{}' grew past {} while being read", field, path.string(), format_size(max_bytes)));
    }
  }
}

std::string read_secret_file(const std::filesystem::path& path, std::string_view field) {
  auto secret = read_file(path, field);
  if (secret.ends_with('\n')) {
    secret.pop_back();
  }
  register_secret(secret);
  return secret;
}

FileLock::FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout)
    : m_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
  if (!m_fd) {
    throw_failed(fmt::format("cannot open lock file {}: {}", path.string(), errno_text()));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(5);
  while (::flock(m_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      throw_failed(fmt::format("cannot lock {}: {}", path.string(), errno_text()));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      char holder[32] = {};
      auto length = ::pread(m_fd.get(), holder, sizeof holder - 1, 0);
      std::string pid = length > 0 ? std::string(holder, static_cast<std::size_t>(length)) : "?";
      throw_refused(fmt::format("lock {} is held by pid {}", path.string(), pid));
    }
    Cancellation::process().sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
  // The holder's pid, for the message another run shows; the lock holds
  // whether or not it could be written.
  auto pid = std::to_string(::getpid());
  if (::ftruncate(m_fd.get(), 0) == 0) {
    [[maybe_unused]] auto written = ::pwrite(m_fd.get(), pid.data(), pid.size(), 0);
  }
}

FileLock::~FileLock() {
  if (m_fd) {
    ::flock(m_fd.get(), LOCK_UN);
  }
}

} // namespace golfops::core
