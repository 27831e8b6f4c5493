#include "core/proc.hpp"

#include "core/error.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace golfops::core {
namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw_failed(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    }
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() {
    if (read_end >= 0) {
      ::close(read_end);
      read_end = -1;
    }
  }
  void close_write() {
    if (write_end >= 0) {
      ::close(write_end);
      write_end = -1;
    }
  }
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto& text : strings) {
    pointers.push_back(const_cast<char*>(text.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Feeds stdin and drains stdout/stderr together so neither pipe can fill and
// deadlock the child.
void pump(Pipe& input,
          const std::string& input_data,
          Pipe& output,
          Pipe& error,
          ProcessResult& result,
          std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::size_t input_offset = 0;
  if (input_data.empty()) {
    input.close_write();
  } else {
    ::fcntl(input.write_end, F_SETFL, O_NONBLOCK);
  }
  std::array<char, 65536> buffer;
  while (output.read_end >= 0 || error.read_end >= 0) {
    std::array<pollfd, 3> fds{pollfd{output.read_end, POLLIN, 0},
                              pollfd{error.read_end, POLLIN, 0},
                              pollfd{input.write_end, POLLOUT, 0}};
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        return;
      }
      wait_ms = static_cast<int>(left.count());
    }
    if (::poll(fds.data(), fds.size(), wait_ms) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_failed(fmt::format("poll failed: {}", std::strerror(errno)));
    }
    auto drain = [&](pollfd& fd, Pipe& pipe, std::string& sink) {
      if (fd.fd >= 0 && (fd.revents & (POLLIN | POLLHUP | POLLERR))) {
        auto count = ::read(fd.fd, buffer.data(), buffer.size());
        if (count > 0) {
          sink.append(buffer.data(), static_cast<std::size_t>(count));
        } else if (count == 0 || errno != EINTR) {
          pipe.close_read();
        }
      }
    };
    drain(fds[0], output, result.standard_output);
    drain(fds[1], error, result.standard_error);
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      auto count = ::write(
          input.write_end, input_data.data() + input_offset, input_data.size() - input_offset);
      if (count > 0) {
        input_offset += static_cast<std::size_t>(count);
      }
      if ((count < 0 && errno != EAGAIN && errno != EINTR) || input_offset == input_data.size()) {
        input.close_write();
      }
    }
  }
}

} // namespace

ProcessResult run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) {
    throw_failed("run_process: empty argv");
  }
  Pipe input;
  Pipe output;
  Pipe error;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input.read_end, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output.write_end, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, error.write_end, STDERR_FILENO);
  if (!spec.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_directory.c_str());
  }
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.environment);
  pid_t pid = 0;
  int status = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (status != 0) {
    throw_failed(fmt::format("cannot run {}: {}", spec.argv[0], std::strerror(status)));
  }
  input.close_read();
  output.close_write();
  error.close_write();

  ProcessResult result;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (spec.timeout) {
    deadline = std::chrono::steady_clock::now() + *spec.timeout;
  }
  pump(input, spec.standard_input, output, error, result, deadline);
  if (result.timed_out) {
    ::kill(pid, SIGKILL);
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    result.exit_code = 128 + WTERMSIG(wait_status);
  }
  return result;
}

std::vector<std::string> base_environment() {
  std::vector<std::string> kept;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    for (std::string_view prefix : {"PATH=", "HOME=", "LANG=", "LC_", "TZ=", "TMPDIR="}) {
      if (variable.starts_with(prefix)) {
        kept.emplace_back(variable);
        break;
      }
    }
  }
  return kept;
}

std::filesystem::path find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view directories = path != nullptr ? path : "/usr/bin:/bin";
  while (!directories.empty()) {
    auto colon = directories.find(':');
    auto directory = directories.substr(0, colon);
    auto candidate = std::filesystem::path(directory) / program;
    if (!directory.empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) {
      break;
    }
    directories.remove_prefix(colon + 1);
  }
  return {};
}

} // namespace golfops::core
