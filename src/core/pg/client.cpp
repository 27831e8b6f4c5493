#include "core/pg/client.hpp"

#include "core/config/config.hpp"
#include "core/config/password.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"

#include <fmt/format.h>
#include <pqxx/except>
#include <pqxx/nontransaction>

namespace golfops::core::pg {
namespace {

std::string first_line(std::string message) {
  auto newline = message.find('\n');
  if (newline != std::string::npos) {
    message.resize(newline);
  }
  return redact(message);
}

} // namespace

Settings settings_from(const config::Config& config) {
  Settings settings;
  const auto& url = config.value("database.url");
  settings.conninfo = parse_conninfo(url.text, "database.url");
  settings.connect_timeout = config.duration("database.connect_timeout");
  settings.statement_timeout = config.duration("database.statement_timeout");
  auto password = resolve_password(settings.conninfo.get("password").value_or(""),
                                   settings.conninfo.password_file,
                                   url,
                                   config,
                                   "database");
  if (!password.empty()) {
    settings.conninfo.set("password", password);
  }
  return settings;
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
  try {
    m_connection = std::make_unique<pqxx::connection>(conninfo.to_string());
  } catch (const std::exception& error) {
    throw_unreachable(
        fmt::format("cannot connect to PostgreSQL at {}: {}", m_target, first_line(error.what())));
  }
}

pqxx::result Client::execute(const std::string& sql) {
  try {
    pqxx::nontransaction transaction(*m_connection);
    return transaction.exec(sql);
  } catch (const pqxx::broken_connection& error) {
    throw_unreachable(fmt::format(
        "lost the connection to PostgreSQL at {}: {}", m_target, first_line(error.what())));
  } catch (const pqxx::sql_error& error) {
    throw_failed(fmt::format("PostgreSQL at {}: {} (SQLSTATE {})",
                             m_target,
                             first_line(error.what()),
                             error.sqlstate()));
  }
}

std::string Client::server_version() {
  auto version = m_connection->server_version();
  return fmt::format("{}.{}", version / 10000, version % 10000);
}

} // namespace golfops::core::pg
