#include "core/pg/client.hpp"

#include "core/cancel.hpp"
#include "core/config/config.hpp"
#include "core/config/password.hpp"
#include "core/detached.hpp"
#include "core/fs.hpp"
#include "core/net.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

namespace golfops::core::pg {
namespace {

std::string first_line(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  auto newline = message.find('\n');
  if (newline != std::string::npos) {
    message.resize(newline);
  }
  return redact(message);
}

// Server notices (NOTICE: relation already exists, skipping) are not golfops'
// output; dropping them keeps stdout and stderr to what golfops says itself.
void ignore_notice(void*, const char*) {}

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

using Clock = std::chrono::steady_clock;

// Which failure a connection attempt that died in `phase` was: libpq's
// connection states are typed, its messages are translated.
Failure classify(ConnStatusType phase, const PGconn* connection) {
  switch (phase) {
  case CONNECTION_SSL_STARTUP:
  case CONNECTION_GSS_STARTUP:
    return Failure::tls;
  case CONNECTION_AWAITING_RESPONSE:
    // The server asked for a password: the credentials were refused.
    // Otherwise it refused the session itself (starting up, pg_hba reject).
    return PQconnectionNeedsPassword(connection) == 1 || PQconnectionUsedPassword(connection) == 1
               ? Failure::auth
               : Failure::refused;
  case CONNECTION_AUTH_OK:
  case CONNECTION_SETENV:
  case CONNECTION_CHECK_WRITABLE:
  case CONNECTION_CONSUME:
  case CONNECTION_CHECK_TARGET:
  case CONNECTION_CHECK_STANDBY:
    return Failure::refused; // authenticated, then refused: no such database, too many clients
  default:
    return Failure::connect;
  }
}

// The SQLSTATE of a connection failure. libpq keeps no result for it, but
// with verbose errors it writes the code after the severity:
// "...: FATAL:  28P01: password authentication failed". The code is the
// protocol's, the same in every language; the words around it are not used.
// Returns the code and the message with it taken out.
std::pair<std::string, std::string> split_sqlstate(std::string message) {
  for (auto at = message.find(":  "); at != std::string::npos; at = message.find(":  ", at + 1)) {
    auto code = at + 3;
    if (code + 6 > message.size() || message[code + 5] != ':') {
      continue;
    }
    bool is_code =
        std::all_of(message.begin() + static_cast<long>(code),
                    message.begin() + static_cast<long>(code + 5),
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
    if (is_code) {
      auto sqlstate = message.substr(code, 5);
      message.erase(code, 7);
      return {sqlstate, message};
    }
  }
  return {"", message};
}

// With several addresses (localhost: ::1 and 127.0.0.1) libpq reports each
// attempt; the last one is what decided (the refused ::1 is not the story
// when 127.0.0.1 rejected the password).
std::string last_attempt(const std::string& message) {
  // libpq's own words (golfops never calls setlocale, so they are not
  // translated); the server's part after them may be in any language.
  std::string last;
  for (const auto& line : split(message, '\n')) {
    if (line.starts_with("connection to server")) {
      last = line;
    }
  }
  return last.empty() ? first_line(message) : redact(last);
}

// Which failure a refused connection was, from its SQLSTATE class.
std::optional<Failure> failure_for(std::string_view sqlstate) {
  if (sqlstate.starts_with("28")) {
    return Failure::auth; // invalid_password, invalid_authorization_specification
  }
  if (sqlstate.empty()) {
    return std::nullopt;
  }
  return Failure::refused; // no such database, too many clients, starting up
}

// Resolves the host ourselves, within the deadline, and hands libpq the
// addresses (hostaddr): getaddrinfo inside libpq has no timeout, and a name
// that does not resolve is then known to be `dns`, not read from a message.
void resolve_host(Conninfo& conninfo, Clock::time_point deadline) {
  auto host = conninfo.get("host");
  if (!host) {
    if (const char* variable = std::getenv("PGHOST"); variable != nullptr) {
      host = variable;
    }
  }
  if (!host || host->empty() || host->front() == '/' || host->front() == '@' ||
      host->find(',') != std::string::npos || conninfo.get("hostaddr")) {
    return; // a Unix socket, several hosts, or addresses given: libpq's own way
  }
  auto port = conninfo.get("port");
  const char* port_variable = std::getenv("PGPORT");
  auto port_text = port ? *port : port_variable != nullptr ? std::string(port_variable) : "5432";
  if (port_text.find(',') != std::string::npos) {
    return;
  }
  int port_number = 5432;
  try {
    port_number = std::stoi(port_text);
  } catch (const std::exception&) {
    return; // libpq reports the bad port itself
  }
  auto addresses = net::resolve(*host, port_number, deadline);
  std::vector<std::string> hosts;
  std::vector<std::string> texts;
  for (const auto& address : addresses) {
    hosts.push_back(*host); // kept for TLS verify-full and messages
    texts.push_back(address.text);
  }
  conninfo.set("host", fmt::format("{}", fmt::join(hosts, ",")));
  conninfo.set("hostaddr", fmt::format("{}", fmt::join(texts, ",")));
}

// PQcancel blocks until the server answers and has no timeout of its own (1 s here):
// run it on a thread that may outlive a server which stopped answering.
void cancel_on_server(PGconn* connection) {
  auto* cancel = PQgetCancel(connection);
  if (cancel == nullptr) {
    return;
  }
  run_detached(
      [cancel] {
        char error[256];
        PQcancel(cancel, error, sizeof error);
        PQfreeCancel(cancel);
      },
      Clock::now() + std::chrono::seconds(1),
      false);
}

} // namespace

Settings settings_from(const config::Config& config) {
  return settings_from(config, "", "");
}

Settings settings_from(const config::Config& config,
                       const std::string& url_override,
                       std::string_view origin) {
  Settings settings;
  settings.connect_timeout = config.duration("database.connect_timeout");
  settings.statement_timeout = config.duration("database.statement_timeout");
  if (!url_override.empty()) {
    // Another server than database.url: only its own URL's password counts.
    settings.conninfo = parse_conninfo(url_override, origin);
    settings.password_origin = fmt::format("the url at {}", origin);
    if (settings.conninfo.password_file) {
      settings.conninfo.set("password",
                            read_secret_file(*settings.conninfo.password_file,
                                             fmt::format("{}: password_file", origin)));
    }
    return settings;
  }
  const auto& url = config.value("database.url");
  settings.conninfo = parse_conninfo(url.text, "database.url");
  auto password = config::resolve_password(settings.conninfo.get("password").value_or(""),
                                           settings.conninfo.password_file,
                                           url,
                                           config,
                                           "database",
                                           &settings.password_origin);
  if (password.empty() && config.environment().contains("PGPASSWORD")) {
    settings.password_origin = "PGPASSWORD";
  }
  if (!password.empty()) {
    settings.conninfo.set("password", password);
  }
  return settings;
}

Result::Result(pg_result* result) : m_result(result, &PQclear) {}

std::size_t Result::rows() const {
  return static_cast<std::size_t>(PQntuples(m_result.get()));
}

std::size_t Result::columns() const {
  return static_cast<std::size_t>(PQnfields(m_result.get()));
}

bool Result::is_null(std::size_t row, std::size_t column) const {
  return PQgetisnull(m_result.get(), static_cast<int>(row), static_cast<int>(column)) == 1;
}

std::string_view Result::at(std::size_t row, std::size_t column) const {
  if (row >= rows() || column >= columns()) {
    throw_failed(fmt::format("result has no row {} column {}", row, column));
  }
  auto* value = PQgetvalue(m_result.get(), static_cast<int>(row), static_cast<int>(column));
  auto length = PQgetlength(m_result.get(), static_cast<int>(row), static_cast<int>(column));
  return {value, static_cast<std::size_t>(length)};
}

Client::Client(const Settings& settings)
    : m_target(settings.target()), m_deadline(settings.deadline) {
  auto conninfo = settings.conninfo;
  auto deadline = Clock::now() + settings.connect_timeout;
  if (m_deadline) {
    deadline = std::min(deadline, *m_deadline);
  }
  // libpq's own limit, whole seconds and at least 2, is only a backstop:
  // the deadline above is enforced by polling.
  auto seconds = (settings.connect_timeout.count() + 999) / 1000;
  conninfo.set("connect_timeout", std::to_string(std::max<long long>(seconds, 2)));
  conninfo.set("application_name", settings.application_name);
  // A server that vanishes mid-statement is noticed by the kernel, not never.
  if (!conninfo.get("keepalives_idle")) {
    conninfo.set("keepalives_idle", "30");
    conninfo.set("keepalives_interval", "10");
    conninfo.set("keepalives_count", "3");
  }
  if (settings.statement_timeout.count() > 0) {
    auto options = conninfo.get("options").value_or("");
    conninfo.set("options",
                 fmt::format("{}{}-c statement_timeout={}",
                             options,
                             options.empty() ? "" : " ",
                             settings.statement_timeout.count()));
  }
  try {
    resolve_host(conninfo, deadline);
  } catch (const net::NetError& error) {
    throw_unreachable(
        fmt::format("cannot connect to PostgreSQL at {}: {}", m_target, redact(error.what())),
        error.failure());
  }
  m_password_origin = settings.password_origin;
  m_user = conninfo.get("user").value_or("");
  connect(conninfo, deadline);
  PQsetErrorVerbosity(m_connection, PQERRORS_DEFAULT);
  PQsetnonblocking(m_connection, 1);
  PQsetNoticeProcessor(m_connection, &ignore_notice, nullptr);
}

void Client::connect(const Conninfo& conninfo, Clock::time_point deadline) {
  m_connection = PQconnectStart(conninfo.to_string().c_str());
  auto fail = [&](Failure failure, const std::string& why) {
    PQfinish(m_connection);
    m_connection = nullptr;
    throw_unreachable(fmt::format("cannot connect to PostgreSQL at {}: {}", m_target, why),
                      failure);
  };
  if (m_connection == nullptr) {
    fail(Failure::connect, "out of memory");
  }
  if (PQstatus(m_connection) == CONNECTION_BAD) {
    // Refused before any network traffic: an option libpq rejects
    // (sslmode=bogus), a configuration error.
    auto message = first_line(PQerrorMessage(m_connection));
    PQfinish(m_connection);
    m_connection = nullptr;
    throw_usage(fmt::format("database.url: PostgreSQL at {}: {}", m_target, message));
  }
  // Verbose, so a server's refusal carries its SQLSTATE (split_sqlstate).
  PQsetErrorVerbosity(m_connection, PQERRORS_VERBOSE);
  auto polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    auto phase = PQstatus(m_connection);
    if (polling == PGRES_POLLING_READING || polling == PGRES_POLLING_WRITING) {
      std::vector<pollfd> waiting{
          pollfd{PQsocket(m_connection),
                 static_cast<short>(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT),
                 0}};
      int ready = 0;
      try {
        ready = poll_cancellable(waiting, milliseconds_until(deadline));
      } catch (const Cancelled&) {
        PQfinish(m_connection);
        m_connection = nullptr;
        throw;
      }
      if (ready == 0) {
        fail(Failure::timeout, "no answer before the deadline");
      }
    }
    polling = PQconnectPoll(m_connection);
    if (polling == PGRES_POLLING_FAILED) {
      auto [sqlstate, message] = split_sqlstate(last_attempt(PQerrorMessage(m_connection)));
      auto failure = failure_for(sqlstate).value_or(classify(phase, m_connection));
      if (failure == Failure::auth) {
        // Which credentials, from where: what the operator needs to fix it.
        message += fmt::format(" (user {}, password {})",
                               PQuser(m_connection) != nullptr ? PQuser(m_connection) : m_user,
                               m_password_origin.empty()
                                   ? std::string("not given: set one in database.url, "
                                                 "database.password_file, PGPASSWORD or ~/.pgpass")
                                   : "from " + m_password_origin);
      }
      fail(failure, message);
    }
  }
}

Client::~Client() {
  PQfinish(m_connection);
}

void Client::check_connection() {
  if (m_broken) {
    // Say why it broke (a deadline, a signal), not libpq's empty message.
    throw_unreachable(fmt::format("PostgreSQL at {}: the connection is not reused after {}",
                                  m_target,
                                  m_broken_because),
                      Failure::io);
  }
  if (PQstatus(m_connection) != CONNECTION_OK) {
    m_broken = true;
    m_broken_because = "it was lost";
    throw_unreachable(fmt::format("lost the connection to PostgreSQL at {}: {}",
                                  m_target,
                                  first_line(PQerrorMessage(m_connection))),
                      Failure::io);
  }
}

short Client::wait_socket(short events, Clock::time_point deadline) {
  std::vector<pollfd> waiting{pollfd{PQsocket(m_connection), events, 0}};
  int ready = 0;
  try {
    ready = poll_cancellable(waiting, m_deadline ? milliseconds_until(deadline) : -1);
  } catch (const Cancelled&) {
    // Stop the statement on the server, so its locks go with it.
    cancel_on_server(m_connection);
    m_broken = true;
    m_broken_because = "an interruption";
    throw;
  }
  if (ready == 0) {
    // The statement may still run, holding its locks: cancel it. A reply may
    // still arrive, so the connection is never read again.
    cancel_on_server(m_connection);
    m_broken = true;
    m_broken_because = "a deadline passed";
    throw_unreachable(fmt::format("PostgreSQL at {} did not answer before the deadline", m_target),
                      Failure::timeout);
  }
  return waiting[0].revents;
}

void Client::send(int sent) {
  if (sent != 1) {
    check_connection();
    throw_failed(
        fmt::format("PostgreSQL at {}: {}", m_target, first_line(PQerrorMessage(m_connection))));
  }
  auto deadline = m_deadline.value_or(Clock::time_point::max());
  // The connection is non-blocking: a large statement goes out as the socket
  // takes it, and the wait honours the deadline and signals. As libpq asks,
  // input is consumed meanwhile so the server is never stuck writing to us.
  while (true) {
    int flushed = PQflush(m_connection);
    if (flushed == 0) {
      break;
    }
    if (flushed < 0) {
      check_connection();
      throw_unreachable(
          fmt::format("PostgreSQL at {}: {}", m_target, first_line(PQerrorMessage(m_connection))),
          Failure::io);
    }
    auto events = wait_socket(POLLIN | POLLOUT, deadline);
    if ((events & POLLIN) != 0 && PQconsumeInput(m_connection) != 1) {
      check_connection();
    }
  }
}

std::vector<std::shared_ptr<pg_result>> Client::collect_results() {
  auto deadline = m_deadline.value_or(Clock::time_point::max());
  std::vector<std::shared_ptr<pg_result>> results;
  while (true) {
    while (PQisBusy(m_connection) == 1) {
      wait_socket(POLLIN, deadline);
      if (PQconsumeInput(m_connection) != 1) {
        check_connection();
      }
    }
    auto* result = PQgetResult(m_connection);
    if (result == nullptr) {
      return results;
    }
    results.emplace_back(result, &PQclear);
  }
}

void Client::raise(const std::shared_ptr<pg_result>& owned, std::size_t statement_index) {
  auto* raw = owned.get();
  check_connection();
  auto sqlstate = field(raw, PG_DIAG_SQLSTATE);
  auto primary = field(raw, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) {
    primary = first_line(raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(m_connection));
  }
  QueryError error(fmt::format("PostgreSQL at {}: {} (SQLSTATE {})",
                               m_target,
                               redact(primary),
                               sqlstate.empty() ? "?" : sqlstate),
                   sqlstate);
  error.primary = redact(primary);
  error.detail = redact(field(raw, PG_DIAG_MESSAGE_DETAIL));
  error.hint = field(raw, PG_DIAG_MESSAGE_HINT);
  error.context = field(raw, PG_DIAG_CONTEXT);
  auto position = field(raw, PG_DIAG_STATEMENT_POSITION);
  error.position = position.empty() ? 0 : std::stoul(position);
  error.statement_index = statement_index;
  throw error;
}

Result Client::execute(const std::string& sql) {
  check_connection();
  send(PQsendQuery(m_connection, sql.c_str()));
  auto results = collect_results();
  for (auto& result : results) {
    auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
      raise(result);
    }
  }
  if (results.empty()) {
    check_connection();
    throw_failed(fmt::format("PostgreSQL at {}: no result", m_target));
  }
  return Result(results.back());
}

Result Client::execute(const std::string& sql,
                       const std::vector<std::optional<std::string>>& parameters) {
  std::vector<const char*> values;
  for (const auto& parameter : parameters) {
    values.push_back(parameter ? parameter->c_str() : nullptr);
  }
  check_connection();
  send(PQsendQueryParams(m_connection,
                         sql.c_str(),
                         static_cast<int>(values.size()),
                         nullptr,
                         values.data(),
                         nullptr,
                         nullptr,
                         0));
  auto results = collect_results();
  for (auto& result : results) {
    auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      raise(result);
    }
  }
  if (results.empty()) {
    check_connection();
    throw_failed(fmt::format("PostgreSQL at {}: no result", m_target));
  }
  return Result(results.back());
}

void Client::run_script(const std::string& sql) {
  check_connection();
  send(PQsendQuery(m_connection, sql.c_str()));
  // One result per statement: counting them tells which statement failed.
  std::size_t completed = 0;
  for (auto& result : collect_results()) {
    auto status = PQresultStatus(result.get());
    if (status == PGRES_FATAL_ERROR) {
      raise(result, completed);
    }
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      ++completed;
    }
  }
  check_connection();
}

void Client::copy_begin(const std::string& sql) {
  check_connection();
  send(PQsendQuery(m_connection, sql.c_str()));
  auto deadline = m_deadline.value_or(Clock::time_point::max());
  while (PQisBusy(m_connection) == 1) {
    wait_socket(POLLIN, deadline);
    if (PQconsumeInput(m_connection) != 1) {
      check_connection();
    }
  }
  std::shared_ptr<pg_result> result(PQgetResult(m_connection), &PQclear);
  if (result && PQresultStatus(result.get()) == PGRES_COPY_IN) {
    return;
  }
  collect_results();
  raise(result);
}

void Client::copy_send(std::string_view data) {
  check_connection();
  auto deadline = m_deadline.value_or(Clock::time_point::max());
  // Slices keep libpq's output buffer small; each is flushed as the socket
  // takes it, reading what the server says meanwhile.
  constexpr std::size_t k_slice = 256 * 1024;
  while (!data.empty()) {
    auto slice = data.substr(0, k_slice);
    auto queued = PQputCopyData(m_connection, slice.data(), static_cast<int>(slice.size()));
    if (queued == 0) {
      auto events = wait_socket(POLLOUT | POLLIN, deadline);
      if ((events & POLLIN) != 0 && PQconsumeInput(m_connection) != 1) {
        check_connection();
      }
      continue;
    }
    send(queued);
    data.remove_prefix(slice.size());
  }
}

std::uint64_t Client::copy_end() {
  auto deadline = m_deadline.value_or(Clock::time_point::max());
  int ended = 0;
  while ((ended = PQputCopyEnd(m_connection, nullptr)) == 0) {
    wait_socket(POLLOUT, deadline);
  }
  send(ended);
  auto results = collect_results();
  for (auto& result : results) {
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      raise(result);
    }
  }
  if (results.empty()) {
    check_connection();
    throw_failed(fmt::format("PostgreSQL at {}: no result for COPY", m_target));
  }
  return std::strtoull(PQcmdTuples(results.back().get()), nullptr, 10);
}

std::string Client::quote_identifier(std::string_view identifier) const {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeIdentifier(m_connection, identifier.data(), identifier.size()), &PQfreemem);
  if (!quoted) {
    throw_usage(fmt::format("invalid SQL identifier '{}'", identifier));
  }
  return quoted.get();
}

std::string Client::quote_literal(std::string_view literal) const {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeLiteral(m_connection, literal.data(), literal.size()), &PQfreemem);
  if (!quoted) {
    throw_failed("cannot quote a SQL literal");
  }
  return quoted.get();
}

std::string Client::server_version() const {
  auto version = PQserverVersion(m_connection);
  return fmt::format("{}.{}", version / 10000, version % 10000);
}

Settings settings_like(const Client& client, std::string_view dbname) {
  Settings settings;
  settings.conninfo = client.effective_conninfo();
  if (!dbname.empty()) {
    settings.conninfo.set("dbname", std::string(dbname));
  }
  return settings;
}

Conninfo Client::effective_conninfo() const {
  Conninfo used;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(m_connection),
                                                                       &PQconninfoFree);
  for (auto* option = options.get(); option != nullptr && option->keyword != nullptr; ++option) {
    if (option->val != nullptr && *option->val != '\0') {
      used.parameters.emplace_back(option->keyword, option->val);
    }
  }
  return used;
}

int Client::backend_pid() const {
  return PQbackendPID(m_connection);
}

} // namespace golfops::core::pg
