#include "core/pg/client.hpp"

#include "core/config/config.hpp"
#include "core/config/password.hpp"
#include "core/redact.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

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

} // namespace

Settings settings_from(const config::Config& config) {
  Settings settings;
  const auto& url = config.value("database.url");
  settings.conninfo = parse_conninfo(url.text, "database.url");
  settings.connect_timeout = config.duration("database.connect_timeout");
  settings.statement_timeout = config.duration("database.statement_timeout");
  auto password = config::resolve_password(settings.conninfo.get("password").value_or(""),
                                           settings.conninfo.password_file,
                                           url,
                                           config,
                                           "database");
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

Client::Client(const Settings& settings) : m_target(settings.target()) {
  auto conninfo = settings.conninfo;
  // libpq counts whole seconds and treats 1 as 2; round up so we never cut short.
  auto seconds = (settings.connect_timeout.count() + 999) / 1000;
  conninfo.set("connect_timeout", std::to_string(std::max<long long>(seconds, 2)));
  conninfo.set("application_name", settings.application_name);
  if (settings.statement_timeout.count() > 0) {
    auto options = conninfo.get("options").value_or("");
    conninfo.set("options",
                 fmt::format("{}{}-c statement_timeout={}",
                             options,
                             options.empty() ? "" : " ",
                             settings.statement_timeout.count()));
  }
  m_connection = PQconnectdb(conninfo.to_string().c_str());
  if (m_connection == nullptr || PQstatus(m_connection) != CONNECTION_OK) {
    std::string message = m_connection != nullptr ? PQerrorMessage(m_connection) : "out of memory";
    PQfinish(m_connection);
    m_connection = nullptr;
    throw_unreachable(
        fmt::format("cannot connect to PostgreSQL at {}: {}", m_target, first_line(message)));
  }
  PQsetNoticeProcessor(m_connection, &ignore_notice, nullptr);
}

Client::~Client() {
  PQfinish(m_connection);
}

void Client::check_connection() {
  if (PQstatus(m_connection) != CONNECTION_OK) {
    throw_unreachable(fmt::format("lost the connection to PostgreSQL at {}: {}",
                                  m_target,
                                  first_line(PQerrorMessage(m_connection))));
  }
}

void Client::raise(pg_result* raw, std::size_t statement_index) {
  Result owned(raw);
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
  auto* result = PQexec(m_connection, sql.c_str());
  auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    raise(result);
  }
  return Result(result);
}

Result Client::execute(const std::string& sql,
                       const std::vector<std::optional<std::string>>& parameters) {
  std::vector<const char*> values;
  for (const auto& parameter : parameters) {
    values.push_back(parameter ? parameter->c_str() : nullptr);
  }
  auto* result = PQexecParams(m_connection,
                              sql.c_str(),
                              static_cast<int>(values.size()),
                              nullptr,
                              values.data(),
                              nullptr,
                              nullptr,
                              0);
  auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    raise(result);
  }
  return Result(result);
}

void Client::run_script(const std::string& sql) {
  if (PQsendQuery(m_connection, sql.c_str()) != 1) {
    check_connection();
    throw_failed(
        fmt::format("PostgreSQL at {}: {}", m_target, first_line(PQerrorMessage(m_connection))));
  }
  // One result per statement: counting them tells which statement failed.
  std::size_t completed = 0;
  PGresult* failure = nullptr;
  while (auto* result = PQgetResult(m_connection)) {
    auto status = PQresultStatus(result);
    if (status == PGRES_FATAL_ERROR && failure == nullptr) {
      failure = result;
      continue;
    }
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      ++completed;
    }
    PQclear(result);
  }
  if (failure != nullptr) {
    raise(failure, completed);
  }
  check_connection();
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

} // namespace golfops::core::pg
