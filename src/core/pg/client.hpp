#pragma once

#include "core/pg/conninfo.hpp"
#include "core/units.hpp"

#include <memory>
#include <pqxx/connection>
#include <pqxx/result>
#include <string>

namespace golfops::core::config {
class Config;
}

namespace golfops::core::pg {

// How golfops connects to PostgreSQL.
struct Settings {
  Conninfo conninfo;
  Milliseconds connect_timeout{5000};
  Milliseconds statement_timeout{0}; // 0: the server's own setting
  std::string application_name = "golfops";

  // "host:port/dbname", safe to show.
  std::string target() const { return describe_target(conninfo); }
};

// Settings from database.* keys: the URL, a password from password_file or
// the URL's ?password_file=, and the timeouts. Throws Error(usage) when the
// password is given twice or its file cannot be read.
Settings settings_from(const config::Config& config);

// A connection with libpqxx, errors translated to core::Error: failing to
// connect is `unreachable` (naming host:port, never the password); a failing
// statement is `failed` with SQLSTATE.
class Client {
public:
  explicit Client(const Settings& settings);

  pqxx::connection& connection() { return *m_connection; }
  const std::string& target() const { return m_target; }

  // Runs `sql` outside an explicit transaction (autocommit).
  pqxx::result execute(const std::string& sql);

  // The server's version, e.g. "15.18".
  std::string server_version();

private:
  std::unique_ptr<pqxx::connection> m_connection;
  std::string m_target;
};

} // namespace golfops::core::pg
