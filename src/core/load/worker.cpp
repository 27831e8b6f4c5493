#include "core/load/worker.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace golfops::core::load {

enum class State { closed, connecting, handshaking, idle, sending, receiving, resting };

struct Worker::Connection {
  Worker* worker = nullptr;
  int fd = -1;
  SSL* tls = nullptr;
  State state = State::closed;
  std::uint32_t events = 0; // what epoll watches for
  http_parser parser{};

  // The request on this connection, if any.
  const Prepared* request = nullptr;
  std::size_t sent = 0;
  Clock::time_point intended; // latency is measured from here
  Clock::time_point deadline;
  std::uint64_t bytes = 0;
  bool reused = false;  // an answer already came back on this connection
  bool retried = false; // resent once after the server closed a reused connection
  bool answered = false;
  // 429 answers: the Retry-After header as it arrives.
  bool in_retry_after = false;
  std::string header;
  std::optional<std::int64_t> retry_after;

  Clock::time_point idle_since;
  Clock::time_point resume_at; // resting: when to try again
};

namespace {

constexpr std::size_t k_buffer_size = 64 * 1024;
constexpr auto k_scan_interval = std::chrono::milliseconds(10);
// After a failed connect in the closed model, a pause before the next
// attempt, so a server that refuses does not become a busy loop.
constexpr auto k_rest = std::chrono::milliseconds(10);

Worker::Connection& of(http_parser* parser) {
  return *static_cast<Worker::Connection*>(parser->data);
}

// Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3).
std::optional<std::int64_t> retry_after_seconds(std::string_view value) {
  std::int64_t seconds = 0;
  auto parsed = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (parsed.ec == std::errc() && parsed.ptr == value.data() + value.size()) {
    return seconds >= 0 ? std::optional<std::int64_t>(seconds) : std::nullopt;
  }
  std::tm date{};
  auto text = std::string(value);
  if (::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &date) != nullptr) {
    return std::max<std::int64_t>(0, ::timegm(&date) - std::time(nullptr));
  }
  return std::nullopt;
}

int on_header_field(http_parser* parser, const char* at, std::size_t length) {
  if (parser->status_code != 429) {
    return 0; // only a 429's headers are read
  }
  auto& connection = of(parser);
  if (connection.in_retry_after) {
    connection.in_retry_after = false;
    connection.retry_after = retry_after_seconds(connection.header);
    connection.header.clear();
  }
  connection.header.append(at, length);
  return 0;
}

int on_header_value(http_parser* parser, const char* at, std::size_t length) {
  if (parser->status_code != 429) {
    return 0;
  }
  auto& connection = of(parser);
  if (!connection.in_retry_after) {
    bool named = iequals(connection.header, "Retry-After");
    connection.header.clear();
    if (!named) {
      return 0;
    }
    connection.in_retry_after = true;
  }
  connection.header.append(at, length);
  return 0;
}

int on_headers_complete(http_parser* parser) {
  auto& connection = of(parser);
  if (connection.in_retry_after) {
    connection.in_retry_after = false;
    connection.retry_after = retry_after_seconds(connection.header);
  }
  connection.header.clear();
  return connection.request->head ? 1 : 0; // 1: no body follows
}

int on_message_complete(http_parser* parser) {
  auto& connection = of(parser);
  if (parser->status_code / 100 == 1 && parser->status_code != 101) {
    // 100 Continue, 103 Early Hints: interim, the answer follows.
    connection.retry_after.reset();
    return 0;
  }
  connection.answered = true;
  http_parser_pause(parser, 1); // one answer per request: stop at its end
  return 0;
}

const http_parser_settings k_settings = [] {
  http_parser_settings settings{};
  http_parser_settings_init(&settings);
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_headers_complete = on_headers_complete;
  settings.on_message_complete = on_message_complete;
  return settings;
}();

bool expected(const RequestSpec& spec, int status) {
  if (spec.expect_status.empty()) {
    return status < 400;
  }
  return std::find(spec.expect_status.begin(), spec.expect_status.end(), status) !=
         spec.expect_status.end();
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

} // namespace

Worker::Worker(Shared& shared, int index, int connections, Live& live)
    : m_shared(shared), m_plan(*shared.plan), m_index(index), m_live(live),
      m_buffer(k_buffer_size) {
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (m_epoll < 0) {
    throw_failed(fmt::format("load: epoll_create1: {}", std::strerror(errno)));
  }
  for (int count = 0; count < connections; ++count) {
    auto connection = std::make_unique<Connection>();
    connection->worker = this;
    m_connections.push_back(std::move(connection));
  }
  m_result.by_request.resize(m_plan.requests.size());
  for (const auto& request : m_plan.requests) {
    m_current_weight.push_back(0);
    m_total_weight += request.weight;
  }
}

Worker::~Worker() {
  for (auto& connection : m_connections) {
    close(*connection);
  }
  if (m_epoll >= 0) {
    ::close(m_epoll);
  }
}

std::size_t Worker::pick() {
  if (m_current_weight.size() == 1) {
    return 0;
  }
  std::size_t best = 0;
  for (std::size_t index = 0; index < m_current_weight.size(); ++index) {
    m_current_weight[index] += m_plan.requests[index].weight;
    if (m_current_weight[index] > m_current_weight[best]) {
      best = index;
    }
  }
  m_current_weight[best] -= m_total_weight;
  return best;
}

void Worker::want(Connection& connection, std::uint32_t events) {
  if (connection.events == events) {
    return;
  }
  epoll_event event{};
  event.events = events;
  event.data.ptr = &connection;
  int operation = connection.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (events == 0) {
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, connection.fd, nullptr);
  } else if (::epoll_ctl(m_epoll, operation, connection.fd, &event) != 0) {
    throw_failed(fmt::format("load: epoll_ctl: {}", std::strerror(errno)));
  }
  connection.events = events;
}

void Worker::close(Connection& connection) {
  if (connection.tls != nullptr) {
    SSL_free(connection.tls);
    connection.tls = nullptr;
  }
  if (connection.fd >= 0) {
    ::close(connection.fd); // also leaves the epoll set
    connection.fd = -1;
  }
  connection.events = 0;
  connection.reused = false;
  connection.state = State::closed;
}

// Starts a non-blocking connect; the answer comes as an epoll event.
void Worker::open(Connection& connection) {
  const auto& address = m_shared.address;
  connection.fd =
      ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (connection.fd < 0) {
    throw_failed(fmt::format("load: socket: {} (raise the open-files limit, ulimit -n, or use "
                             "fewer connections)",
                             std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  connection.state = State::connecting;
  auto now = Clock::now();
  connection.deadline = now + m_plan.connect_timeout;
  if (::connect(connection.fd,
                reinterpret_cast<const sockaddr*>(&address.storage),
                address.length) != 0 &&
      errno != EINPROGRESS) {
    fail(connection, ErrorKind::connect);
    return;
  }
  want(connection, EPOLLOUT);
}

void Worker::start_tls(Connection& connection) {
  connection.tls = SSL_new(m_shared.tls.get());
  if (connection.tls == nullptr) {
    fail(connection, ErrorKind::tls);
    return;
  }
  const auto& origin = m_plan.origin;
  SSL_set_tlsext_host_name(connection.tls, origin.host.c_str());
  if (origin.insecure) {
    SSL_set_verify(connection.tls, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_set1_host(connection.tls, origin.host.c_str());
  }
  SSL_set_fd(connection.tls, connection.fd);
  connection.state = State::handshaking;
  handshake(connection);
}

// Connected (and through TLS): the request waiting for it goes out, or it
// waits for one.
void Worker::ready(Connection& connection) {
  connection.state = State::idle;
  if (connection.request != nullptr) {
    connection.deadline = answer_deadline(connection);
    send(connection);
  } else {
    want(connection, EPOLLIN);
  }
}

void Worker::handshake(Connection& connection) {
  int result = SSL_connect(connection.tls);
  if (result == 1) {
    ready(connection);
    return;
  }
  int error = SSL_get_error(connection.tls, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    want(connection, error == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
    return;
  }
  fail(connection, ErrorKind::tls);
}

void Worker::assign(Connection& connection,
                    std::size_t request,
                    Clock::time_point intended,
                    bool retry) {
  connection.request = &m_shared.requests[request];
  connection.intended = intended;
  connection.bytes = 0;
  connection.sent = 0;
  connection.retried = retry;
  connection.answered = false;
  connection.retry_after.reset();
  ++m_in_flight;
  if (connection.fd < 0) {
    open(connection);
    return;
  }
  if (m_in_event_round && !m_plan.schedule) {
    // Closed model: sent once this round of events is handled, all
    // together, as wrk does; the server then reads them in one wake-up.
    m_round_sends.push_back(&connection);
    return;
  }
  connection.deadline = answer_deadline(connection);
  send(connection);
}

void Worker::send_round() {
  if (m_round_sends.empty()) {
    return;
  }
  auto now = Clock::now();
  for (auto* connection : m_round_sends) {
    connection->intended = now; // the closed model measures from the send
    connection->deadline = answer_deadline(*connection);
    send(*connection);
  }
  m_round_sends.clear();
}

// --timeout counts from when the request was due: a user who arrived then
// gives up then, however long the request waited for a connection.
Clock::time_point Worker::answer_deadline(const Connection& connection) const {
  return std::max(connection.intended + m_plan.timeout,
                  Clock::now() + std::chrono::milliseconds(1));
}

void Worker::send(Connection& connection) {
  const auto& bytes = connection.request->bytes;
  connection.state = State::sending;
  while (connection.sent < bytes.size()) {
    long written = 0;
    if (connection.tls != nullptr) {
      // Without partial writes, SSL_write takes the whole request or asks
      // to be called again with the same bytes.
      written = SSL_write(connection.tls, bytes.data(), static_cast<int>(bytes.size()));
      if (written <= 0) {
        int error = SSL_get_error(connection.tls, static_cast<int>(written));
        if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
          want(connection, error == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
          return;
        }
        end_of_stream(connection);
        return;
      }
    } else {
      written = ::send(connection.fd,
                       bytes.data() + connection.sent,
                       bytes.size() - connection.sent,
                       MSG_NOSIGNAL);
      if (written < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          want(connection, EPOLLOUT);
          return;
        }
        end_of_stream(connection); // a kept-alive connection the server closed: resent once
        return;
      }
    }
    connection.sent += static_cast<std::size_t>(written);
  }
  connection.state = State::receiving;
  http_parser_init(&connection.parser, HTTP_RESPONSE);
  connection.parser.data = &connection;
  want(connection, EPOLLIN);
}

void Worker::receive(Connection& connection) {
  while (connection.state == State::receiving || connection.state == State::idle) {
    long count = 0;
    if (connection.tls != nullptr) {
      count = SSL_read(connection.tls, m_buffer.data(), static_cast<int>(m_buffer.size()));
      if (count <= 0) {
        int error = SSL_get_error(connection.tls, static_cast<int>(count));
        if (error == SSL_ERROR_WANT_READ) {
          want(connection, EPOLLIN);
          return;
        }
        if (error == SSL_ERROR_WANT_WRITE) {
          want(connection, EPOLLOUT);
          return;
        }
        end_of_stream(connection);
        return;
      }
    } else {
      count = ::recv(connection.fd, m_buffer.data(), m_buffer.size(), 0);
      if (count < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
      }
      if (count <= 0) {
        end_of_stream(connection);
        return;
      }
    }
    if (connection.state == State::idle) {
      close(connection); // bytes nobody asked for: start afresh
      return;
    }
    consume(connection, m_buffer.data(), static_cast<std::size_t>(count));
    if (connection.tls == nullptr && static_cast<std::size_t>(count) < m_buffer.size()) {
      return; // drained: the next bytes come with the next event
    }
  }
}

void Worker::consume(Connection& connection, const char* data, std::size_t size) {
  connection.bytes += size;
  http_parser_execute(&connection.parser, &k_settings, data, size);
  if (connection.answered) {
    complete(connection);
    return;
  }
  if (HTTP_PARSER_ERRNO(&connection.parser) != HPE_OK) {
    fail(connection, ErrorKind::read);
  }
}

void Worker::end_of_stream(Connection& connection) {
  if (connection.state != State::receiving && connection.state != State::sending) {
    close(connection); // an idle keep-alive connection the server let go
    return;
  }
  // A server may close a kept-alive connection just as a request goes out
  // (its idle timeout, nginx's keepalive_requests): nothing of the answer
  // came, so send it once more on a new connection, as browsers and curl do.
  if (connection.bytes == 0 && connection.reused && !connection.retried) {
    auto request = connection.request;
    auto intended = connection.intended;
    close(connection);
    --m_in_flight;
    assign(
        connection, static_cast<std::size_t>(request - m_shared.requests.data()), intended, true);
    return;
  }
  if (connection.state == State::receiving) {
    // An answer without a length ends with the connection.
    http_parser_execute(&connection.parser, &k_settings, nullptr, 0);
    if (connection.answered) {
      complete(connection);
      return;
    }
  }
  fail(connection, ErrorKind::read);
}

void Worker::complete(Connection& connection) {
  auto now = Clock::now();
  int status = connection.parser.status_code;
  bool keep = m_plan.keepalive && http_should_keep_alive(&connection.parser) != 0;
  auto latency = now - connection.intended;
  auto& tally = m_result.by_request[connection.request->index];
  ++tally.statuses[status];
  tally.latency.record(latency);
  bool throttled = status == 429;
  std::optional<ErrorKind> error;
  if (throttled) {
    ++tally.throttled;
    m_result.retry_after.add(connection.retry_after);
  } else if (!expected(*connection.request->spec, status)) {
    error = ErrorKind::status;
  }
  count_request(tally, now, latency, error, throttled, connection.bytes);
  if (keep) {
    connection.reused = true;
    connection.state = State::idle;
  } else {
    close(connection);
  }
  after_request(connection, now);
}

// What every request's end counts, answered, failed or expired.
void Worker::count_request(Tally& tally,
                           Clock::time_point now,
                           std::optional<std::chrono::nanoseconds> latency,
                           std::optional<ErrorKind> error,
                           bool throttled,
                           std::uint64_t bytes) {
  ++tally.requests;
  tally.bytes += bytes;
  if (error) {
    ++tally.errors[static_cast<std::size_t>(*error)];
    ++m_errors;
  }
  ++m_requests;
  count_second(now, latency, error.has_value(), throttled, bytes);
  m_result.last_answer = now;
}

void Worker::fail(Connection& connection, ErrorKind kind) {
  auto now = Clock::now();
  if (connection.request != nullptr) {
    count_request(m_result.by_request[connection.request->index],
                  now,
                  std::nullopt,
                  kind,
                  false,
                  connection.bytes);
  }
  bool connecting = connection.state == State::connecting || connection.state == State::handshaking;
  close(connection);
  if (connection.request == nullptr) {
    return; // a connection opened ahead of the run: the first request retries
  }
  if (connecting && !m_plan.schedule) {
    // The closed model would retry at once, forever: rest first.
    --m_in_flight;
    connection.request = nullptr;
    connection.state = State::resting;
    connection.resume_at = now + k_rest;
    ++m_resting;
    return;
  }
  after_request(connection, now);
}

// The connection's request is over (answered or failed): what it does next.
void Worker::after_request(Connection& connection, Clock::time_point now) {
  connection.request = nullptr;
  --m_in_flight;
  m_live.requests.store(m_requests, std::memory_order_relaxed);
  m_live.errors.store(m_errors, std::memory_order_relaxed);
  if (!m_plan.schedule) {
    issue_closed(connection, now);
    return;
  }
  // Back in the pool; the loop hands it the next due request (not from
  // here: a connect that fails at once would recurse through dispatch).
  connection.idle_since = now;
  m_idle.push_back(&connection);
}

void Worker::issue_closed(Connection& connection, Clock::time_point now) {
  if (m_shared.stop.load(std::memory_order_relaxed)) {
    m_issuing = false;
  }
  if (m_issuing && m_plan.duration.count() > 0 && now - m_shared.start >= m_plan.duration) {
    m_issuing = false;
  }
  if (m_issuing && m_plan.count > 0 &&
      m_shared.issued.fetch_add(1, std::memory_order_relaxed) >= m_plan.count) {
    m_issuing = false;
  }
  if (!m_issuing) {
    return;
  }
  assign(connection, pick(), now);
}

void Worker::advance_schedule() {
  m_next_index += m_shared.threads;
  if (m_plan.count > 0 && m_next_index >= static_cast<double>(m_plan.count)) {
    m_next_due.reset();
    return;
  }
  auto due = m_plan.schedule->due(m_next_index);
  if (due) {
    m_next_due = m_shared.start + *due;
  } else {
    m_next_due.reset();
  }
}

void Worker::dispatch_due(Clock::time_point now) {
  if (m_shared.stop.load(std::memory_order_relaxed)) {
    m_next_due.reset(); // interrupted: what was not sent is not counted
    return;
  }
  while (m_next_due && *m_next_due <= now) {
    auto due = *m_next_due;
    if (now - due >= m_plan.timeout) {
      // Due so long ago that its user gave up (every connection stayed
      // busy): a timeout, counted without being sent.
      expire(due, now);
      advance_schedule();
      continue;
    }
    if (m_idle.empty()) {
      return; // it waits for a connection; its latency counts from `due`
    }
    auto& connection = *m_idle.back();
    m_idle.pop_back();
    // Time the generator took to send it once it could, and time it
    // waited for a free connection (the server's doing).
    auto ready = std::max(due, connection.idle_since);
    m_result.send_lag.record(now - ready);
    if (connection.idle_since > due) {
      ++m_result.queued;
      m_result.max_queue_ns = std::max<std::int64_t>(
          m_result.max_queue_ns,
          std::chrono::duration_cast<std::chrono::nanoseconds>(connection.idle_since - due)
              .count());
    }
    advance_schedule(); // first: assign may fail at once and come back here
    assign(connection, pick(), due);
  }
}

void Worker::expire(Clock::time_point due, Clock::time_point now) {
  ++m_result.unsent;
  m_result.max_queue_ns = std::max<std::int64_t>(
      m_result.max_queue_ns,
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - due).count());
  count_request(m_result.by_request[pick()], now, std::nullopt, ErrorKind::timeout, false, 0);
}

void Worker::on_event(Connection& connection, std::uint32_t events) {
  switch (connection.state) {
  case State::connecting: {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
      fail(connection, ErrorKind::connect);
      return;
    }
    if (m_plan.origin.tls) {
      start_tls(connection);
    } else {
      ready(connection);
    }
    return;
  }
  case State::handshaking:
    handshake(connection);
    return;
  case State::sending:
    send(connection);
    return;
  case State::receiving:
  case State::idle:
    receive(connection);
    return;
  case State::closed:
  case State::resting:
    return;
  }
}

void Worker::scan(Clock::time_point now) {
  for (auto& owned : m_connections) {
    auto& connection = *owned;
    if (connection.state == State::resting) {
      if (now >= connection.resume_at) {
        --m_resting;
        connection.state = State::closed;
        issue_closed(connection, now);
      }
      continue;
    }
    if (connection.request != nullptr && now >= connection.deadline) {
      bool connecting =
          connection.state == State::connecting || connection.state == State::handshaking;
      fail(connection, connecting ? ErrorKind::connect : ErrorKind::timeout);
    }
  }
}

bool Worker::done() const {
  if (m_in_flight > 0 || m_resting > 0) {
    return false;
  }
  return m_plan.schedule ? !m_next_due : !m_issuing;
}

Clock::time_point Worker::wake_time(Clock::time_point now) const {
  auto wake = m_next_scan;
  if (m_next_due && !m_idle.empty()) {
    wake = std::min(wake, std::max(now, *m_next_due));
  }
  return wake;
}

void Worker::connect(Clock::time_point deadline) {
  if (!m_plan.keepalive) {
    return;
  }
  for (auto& connection : m_connections) {
    open(*connection);
  }
  std::array<epoll_event, 256> events{};
  while (Clock::now() < deadline && !m_shared.stop.load(std::memory_order_relaxed)) {
    auto pending = std::count_if(m_connections.begin(), m_connections.end(), [](const auto& c) {
      return c->state == State::connecting || c->state == State::handshaking;
    });
    if (pending == 0) {
      break;
    }
    int ready = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), 10);
    for (int index = 0; index < ready; ++index) {
      on_event(*static_cast<Connection*>(events[static_cast<std::size_t>(index)].data.ptr),
               events[static_cast<std::size_t>(index)].events);
    }
  }
  for (auto& connection : m_connections) {
    if (connection->state != State::idle) {
      close(*connection); // its first request connects again
    } else {
      // Opened ahead, it may sit idle past the server's idle timeout: its
      // first request gets the same one resend as a kept-alive one.
      connection->reused = true;
    }
  }
}

// epoll_pwait2 waits to the nanosecond (the open model's send times);
// kernels before 5.11, or seccomp profiles that predate it, refuse it, and
// epoll_wait's milliseconds (rounded up, never early) stand in.
int Worker::wait_for_events(epoll_event* events, int capacity, std::chrono::nanoseconds wait) {
  if (m_precise_wait) {
    timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000),
                     static_cast<long>(wait.count() % 1'000'000'000)};
    int ready = ::epoll_pwait2(m_epoll, events, capacity, &timeout, nullptr);
    if (ready >= 0 || (errno != ENOSYS && errno != EPERM)) {
      return ready;
    }
    m_precise_wait = false;
  }
  auto milliseconds = (wait.count() + 999'999) / 1'000'000;
  return ::epoll_wait(m_epoll, events, capacity, static_cast<int>(milliseconds));
}

void Worker::run() {
  // Wake-ups on time: the open model's send times are only as good as the
  // timer (the default slack is 50 us).
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  auto cpu_start = thread_cpu_seconds();
  auto wall_start = Clock::now();
  auto now = wall_start;
  m_next_scan = now + k_scan_interval;
  m_result.last_answer = m_shared.start;
  if (m_plan.schedule) {
    m_next_index = m_index - m_shared.threads;
    advance_schedule();
    for (auto& connection : m_connections) {
      connection->idle_since = m_shared.start;
      m_idle.push_back(connection.get());
    }
  } else {
    for (auto& connection : m_connections) {
      issue_closed(*connection, now);
    }
  }
  std::array<epoll_event, 512> events{};
  while (true) {
    now = Clock::now();
    if (m_shared.stop.load(std::memory_order_relaxed)) {
      break; // interrupted: what is in flight is dropped
    }
    if (m_plan.schedule) {
      dispatch_due(now);
    }
    if (now >= m_next_scan) {
      scan(now);
      m_next_scan = now + k_scan_interval;
    }
    if (done()) {
      break;
    }
    auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(wake_time(now) - now);
    int ready = wait_for_events(events.data(), static_cast<int>(events.size()), wait);
    if (ready < 0 && errno != EINTR) {
      throw_failed(fmt::format("load: epoll_wait: {}", std::strerror(errno)));
    }
    m_in_event_round = true;
    for (int index = 0; index < ready; ++index) {
      on_event(*static_cast<Connection*>(events[static_cast<std::size_t>(index)].data.ptr),
               events[static_cast<std::size_t>(index)].events);
    }
    m_in_event_round = false;
    send_round();
  }
  flush_second();
  auto wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
  m_result.busy = wall > 0 ? (thread_cpu_seconds() - cpu_start) / wall : 0;
  m_live.requests.store(m_requests, std::memory_order_relaxed);
  m_live.errors.store(m_errors, std::memory_order_relaxed);
}

void Worker::count_second(Clock::time_point now,
                          std::optional<std::chrono::nanoseconds> latency,
                          bool error,
                          bool throttled,
                          std::uint64_t bytes) {
  auto since_start = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_shared.start);
  auto unix_second = (m_shared.start_unix_ms + since_start.count()) / 1000;
  if (unix_second != m_second) {
    flush_second();
    m_second = unix_second;
    m_second_counts = Second{};
    m_second_counts.unix_second = unix_second;
  }
  ++m_second_counts.requests;
  m_second_counts.errors += error ? 1 : 0;
  m_second_counts.throttled += throttled ? 1 : 0;
  m_second_counts.bytes += bytes;
  if (latency) {
    m_second_latency.record(*latency);
  }
}

void Worker::flush_second() {
  if (m_second < 0) {
    return;
  }
  m_second_counts.latency = StoredHistogram::of(m_second_latency);
  m_second_latency.clear();
  m_result.timeline.push_back(std::move(m_second_counts));
  m_second_counts = Second{};
  m_second = -1;
}

ThreadResult Worker::take_result() {
  return std::move(m_result);
}

} // namespace golfops::core::load
