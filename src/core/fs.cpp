#include "core/fs.hpp"

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "core/units.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
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

namespace {

// Something that is there and is not a file: a device, FIFO, socket, or a
// pipe reached through /dev/stdout.
bool is_special(const std::filesystem::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode);
}

// Where a chain of symbolic links ends, existing or not (a dangling link's
// target is created, as `cp` and shells do).
std::filesystem::path link_target(const std::filesystem::path& path) {
  auto target = path;
  std::error_code error;
  for (int hops = 0; hops < 40 && std::filesystem::is_symlink(target, error); ++hops) {
    auto next = std::filesystem::read_symlink(target, error);
    if (error) {
      break;
    }
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  return target;
}

// /dev/stdout, /dev/fd/1, /proc/self/fd/1 ...: golfops' own descriptor, written
// as it is (opening the path anew would start at offset 0 of a redirected
// file, or replace it).
std::optional<int> own_descriptor(const std::filesystem::path& path) {
  auto text = path.string();
  if (text == "/dev/stdout") {
    return 1;
  }
  if (text == "/dev/stderr") {
    return 2;
  }
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (text.starts_with(prefix)) {
      int fd = -1;
      auto digits = std::string_view(text).substr(prefix.size());
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
      if (error == std::errc() && end == digits.data() + digits.size() && fd >= 0) {
        return fd;
      }
    }
  }
  return std::nullopt;
}

void write_all(int fd, const std::filesystem::path& path, std::string_view content) {
  while (!content.empty()) {
    auto written = ::write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      throw_failed(fmt::format("cannot write '{}': {}", path.string(), errno_text()));
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
}

void write_through(const std::filesystem::path& path, std::string_view content) {
  if (auto fd = own_descriptor(path)) {
    write_all(*fd, path, content);
    return;
  }
  // O_NONBLOCK only to open: a FIFO with no reader is an error, not a hang.
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    throw_failed(fmt::format("cannot write '{}': {}", path.string(), errno_text()));
  }
  UniqueFd owned(fd);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  write_all(fd, path, content);
}

} // namespace

void write_named_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  if (is_special(path) || own_descriptor(path)) {
    write_through(path, content);
    return;
  }
  atomic_write(link_target(path), content, mode);
}

void require_file_place(const std::filesystem::path& path, std::string_view field) {
  auto text = path.string();
  std::error_code error;
  if (text.empty() || text.ends_with('/')) {
    throw_usage(fmt::format("{}: '{}' is not a file name", field, text));
  }
  if (std::filesystem::is_directory(path, error)) {
    throw_usage(fmt::format("{}: '{}' is a directory (expected a file name)", field, text));
  }
  if (own_descriptor(path)) {
    return;
  }
  if (is_special(path)) {
    if (::access(path.c_str(), W_OK) != 0) {
      throw_usage(fmt::format("{}: cannot write '{}': {}", field, text, errno_text()));
    }
    return;
  }
  auto target = link_target(path);
  auto directory = target.parent_path();
  if (!directory.empty() && !std::filesystem::is_directory(directory, error)) {
    throw_usage(fmt::format("{}: '{}': no directory '{}'", field, text, directory.string()));
  }
  // Tried, not guessed from modes: root passes every permission check but
  // not a read-only or virtual file system (/proc).
  auto probe =
      ((directory.empty() ? std::filesystem::path(".") : directory) / ".golfops-probe.XXXXXX")
          .string();
  int fd = ::mkostemp(probe.data(), O_CLOEXEC);
  if (fd < 0) {
    throw_usage(fmt::format("{}: '{}': cannot create files in '{}': {}",
                            field,
                            text,
                            directory.empty() ? "." : directory.string(),
                            errno_text()));
  }
  ::close(fd);
  ::unlink(probe.c_str());
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
