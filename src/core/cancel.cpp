#include "core/cancel.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace golfops::core {
namespace {

std::atomic<int> g_signal{0};
thread_local int t_shields = 0;

void on_signal(int signal) {
  Cancellation::process().request(signal);
}

} // namespace

Cancelled::Cancelled(int signal)
    : Error(signal == SIGTERM ? ExitCode::terminated : ExitCode::interrupted,
            signal == SIGTERM ? "terminated (SIGTERM)" : "interrupted (SIGINT)"),
      m_signal(signal) {}

Cancellation::Cancellation() {
  if (::pipe2(m_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error(ExitCode::failed, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
}

Cancellation& Cancellation::process() {
  static Cancellation k_process;
  return k_process;
}

void Cancellation::request(int signal) noexcept {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, signal);
  int saved = errno;
  char byte = 1;
  [[maybe_unused]] auto ignored = ::write(m_pipe[1], &byte, 1);
  errno = saved;
}

void Cancellation::reset() {
  char buffer[64];
  while (::read(m_pipe[0], buffer, sizeof buffer) > 0) {
  }
  g_signal.store(0);
}

bool Cancellation::requested() const {
  return g_signal.load() != 0;
}

int Cancellation::signal() const {
  return g_signal.load();
}

void Cancellation::check() const {
  if (t_shields > 0) {
    return;
  }
  if (auto caught = g_signal.load(); caught != 0) {
    throw Cancelled(caught);
  }
}

void Cancellation::sleep_until(std::chrono::steady_clock::time_point until) const {
  std::vector<pollfd> none;
  while (std::chrono::steady_clock::now() < until) {
    poll_cancellable(none, milliseconds_until(until));
  }
  check();
}

void Cancellation::sleep_for(Milliseconds duration) const {
  sleep_until(std::chrono::steady_clock::now() + duration);
}

void install_signal_handlers() {
  Cancellation::process(); // the pipe exists before any signal can arrive
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

CancellationShield::CancellationShield() {
  ++t_shields;
}

CancellationShield::~CancellationShield() {
  --t_shields;
}

int poll_cancellable(std::vector<pollfd>& fds, int timeout_ms) {
  auto& token = Cancellation::process();
  if (t_shields > 0) {
    int ready = 0;
    do {
      ready = ::poll(fds.data(), fds.size(), timeout_ms);
    } while (ready < 0 && errno == EINTR);
    return ready;
  }
  token.check();
  fds.push_back(pollfd{token.fd(), POLLIN, 0});
  int ready = 0;
  while (true) {
    ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready >= 0 || errno != EINTR) {
      break;
    }
    token.check(); // EINTR: often the very signal that cancels us
  }
  int saved = errno;
  bool cancelled = (fds.back().revents & POLLIN) != 0;
  fds.pop_back();
  if (cancelled) {
    token.check();
  }
  if (ready < 0) {
    errno = saved;
    return -1;
  }
  return ready - (cancelled ? 1 : 0);
}

int milliseconds_until(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, 1LL << 30));
}

} // namespace golfops::core
