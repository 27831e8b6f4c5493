#include "core/proc.hpp"

#include "core/cancel.hpp"
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

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_stderr_tail = 8192;

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw_failed(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    }
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
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

// The child's end of one stream: a pipe end, /dev/null, a file or ours.
UniqueFd child_end(const Stdio& stdio, bool for_input, std::optional<Pipe>& pipe) {
  switch (stdio.kind) {
  case Stdio::Kind::pipe:
    pipe.emplace();
    return std::move(for_input ? pipe->read_end : pipe->write_end);
  case Stdio::Kind::null:
    return UniqueFd(::open("/dev/null", (for_input ? O_RDONLY : O_WRONLY) | O_CLOEXEC));
  case Stdio::Kind::file: {
    UniqueFd fd(for_input
                    ? ::open(stdio.path.c_str(), O_RDONLY | O_CLOEXEC)
                    : ::open(stdio.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) {
      throw_failed(fmt::format("cannot open {}: {}", stdio.path.string(), std::strerror(errno)));
    }
    return fd;
  }
  case Stdio::Kind::inherit:
    break;
  }
  return {};
}

void keep_tail(std::string& tail, std::string_view data) {
  tail.append(data);
  if (tail.size() > k_stderr_tail) {
    tail.erase(0, tail.size() - k_stderr_tail);
  }
}

} // namespace

Child::Child(const Options& options) {
  if (options.argv.empty()) {
    throw_failed("cannot run a program: empty argv");
  }
  std::optional<Pipe> input;
  std::optional<Pipe> output;
  std::optional<Pipe> error;
  auto in = child_end(options.standard_input, true, input);
  auto out = child_end(options.standard_output, false, output);
  auto err = child_end(options.standard_error, false, error);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int target = STDIN_FILENO;
  for (const auto* fd : {&in, &out, &err}) {
    if (fd->valid()) {
      posix_spawn_file_actions_adddup2(&actions, fd->get(), target);
    }
    ++target;
  }
  if (!options.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_directory.c_str());
  }
  // Its own process group, so cancellation stops it and everything it
  // started; signals golfops ignores or handles are default again in it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : {SIGPIPE, SIGINT, SIGTERM}) {
    sigaddset(&defaults, signal);
  }
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  auto argv = c_strings(options.argv);
  auto envp = c_strings(options.environment);
  int status = ::posix_spawnp(&m_pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (status != 0) {
    m_pid = -1;
    throw_failed(fmt::format("cannot run {}: {}", options.argv[0], std::strerror(status)));
  }
  if (input) {
    m_stdin = std::move(input->write_end);
    ::fcntl(m_stdin.get(), F_SETFL, O_NONBLOCK);
  }
  if (output) {
    m_stdout = std::move(output->read_end);
  }
  if (error) {
    m_stderr = std::move(error->read_end);
    ::fcntl(m_stderr.get(), F_SETFL, O_NONBLOCK);
  }
}

Child::~Child() {
  if (m_pid > 0 && !m_reaped) {
    stop();
  }
}

void Child::signal_group(int signal) const {
  if (m_pid > 0 && !m_reaped) {
    ::kill(-m_pid, signal);
  }
}

void Child::stop() {
  signal_group(SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(m_pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      signal_group(SIGKILL);
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    ::usleep(10000);
  }
  // Whatever the group leader started may outlive it.
  ::kill(-m_pid, SIGKILL);
  m_reaped = true;
}

void Child::drain_stderr(std::string* all) {
  if (!m_stderr) {
    return;
  }
  std::array<char, 4096> buffer;
  while (true) {
    auto count = ::read(m_stderr.get(), buffer.data(), buffer.size());
    if (count > 0) {
      std::string_view data(buffer.data(), static_cast<std::size_t>(count));
      keep_tail(m_stderr_tail, data);
      if (all != nullptr) {
        all->append(data);
      }
      continue;
    }
    if (count == 0) {
      m_stderr.reset(); // EOF
    }
    return; // EAGAIN or EINTR: nothing more now
  }
}

bool Child::write_stdin(std::string_view data) {
  while (!data.empty()) {
    auto written = ::write(m_stdin.get(), data.data(), data.size());
    if (written > 0) {
      data.remove_prefix(static_cast<std::size_t>(written));
      continue;
    }
    if (written < 0 && errno == EPIPE) {
      return false;
    }
    if (written < 0 && errno != EAGAIN && errno != EINTR) {
      throw_failed(fmt::format("writing to pid {}: {}", m_pid, std::strerror(errno)));
    }
    std::vector<pollfd> fds{pollfd{m_stdin.get(), POLLOUT, 0}};
    if (m_stderr) {
      fds.push_back(pollfd{m_stderr.get(), POLLIN, 0});
    }
    poll_cancellable(fds, -1);
    drain_stderr();
  }
  return true;
}

void Child::close_stdin() {
  m_stdin.reset();
}

std::size_t Child::read_stdout(char* buffer, std::size_t size) {
  while (true) {
    std::vector<pollfd> fds{pollfd{m_stdout.get(), POLLIN, 0}};
    if (m_stderr) {
      fds.push_back(pollfd{m_stderr.get(), POLLIN, 0});
    }
    poll_cancellable(fds, -1);
    drain_stderr();
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
      continue;
    }
    auto count = ::read(m_stdout.get(), buffer, size);
    if (count >= 0) {
      return static_cast<std::size_t>(count);
    }
    if (errno != EINTR && errno != EAGAIN) {
      throw_failed(fmt::format("reading from pid {}: {}", m_pid, std::strerror(errno)));
    }
  }
}

Child::Exit Child::wait() {
  m_stdin.reset();
  // Unread output would block a child writing it, and it would never exit.
  m_stdout.reset();
  while (m_stderr) {
    std::vector<pollfd> fds{pollfd{m_stderr.get(), POLLIN, 0}};
    poll_cancellable(fds, -1);
    drain_stderr();
  }
  int status = 0;
  while (true) {
    auto done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid || (done < 0 && errno != EINTR)) {
      break;
    }
    Cancellation::process().sleep_for(Milliseconds(5));
  }
  m_reaped = true;
  Exit exit;
  if (WIFEXITED(status)) {
    exit.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
    exit.exit_code = 128 + exit.signal;
  }
  exit.stderr_tail = m_stderr_tail;
  return exit;
}

ProcessResult run_process(const ProcessSpec& spec) {
  Child child({spec.argv,
               spec.environment,
               spec.working_directory,
               spec.standard_input.empty() ? Stdio::to_null() : Stdio::to_pipe(),
               Stdio::to_pipe(),
               Stdio::to_pipe()});
  ProcessResult result;
  std::optional<Clock::time_point> deadline;
  if (spec.timeout) {
    deadline = Clock::now() + *spec.timeout;
  }
  // Feed stdin and drain stdout/stderr together so no pipe can fill and
  // deadlock the child.
  std::string_view input = spec.standard_input;
  std::array<char, 65536> buffer;
  while (child.m_stdout || child.m_stderr) {
    // Checked here too: a child that keeps writing keeps poll() busy.
    if (deadline && Clock::now() >= *deadline) {
      result.timed_out = true;
      break;
    }
    if (input.empty()) {
      child.m_stdin.reset();
    }
    std::vector<pollfd> fds{pollfd{child.m_stdout.get(), POLLIN, 0},
                            pollfd{child.m_stderr.get(), POLLIN, 0},
                            pollfd{child.m_stdin.get(), POLLOUT, 0}};
    if (poll_cancellable(fds, deadline ? milliseconds_until(*deadline) : -1) == 0) {
      result.timed_out = true;
      break;
    }
    if (fds[0].revents != 0) {
      auto count = ::read(child.m_stdout.get(), buffer.data(), buffer.size());
      if (count > 0) {
        result.standard_output.append(buffer.data(), static_cast<std::size_t>(count));
      } else if (count == 0 || (errno != EINTR && errno != EAGAIN)) {
        child.m_stdout.reset();
      }
    }
    if (fds[1].revents != 0) {
      child.drain_stderr(&result.standard_error);
    }
    if (fds[2].revents != 0) {
      auto written = ::write(child.m_stdin.get(), input.data(), input.size());
      if (written > 0) {
        input.remove_prefix(static_cast<std::size_t>(written));
      } else if (written < 0 && errno != EAGAIN && errno != EINTR) {
        input = {}; // the child closed its stdin
      }
    }
  }
  if (result.timed_out) {
    child.stop();
    result.exit_code = 128 + SIGKILL;
    return result;
  }
  auto exit = child.wait();
  result.exit_code = exit.exit_code;
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
