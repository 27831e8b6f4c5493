#pragma once

#include "core/error.hpp"
#include "core/pg/conninfo.hpp"
#include "core/units.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace golfops::core::config {
class Config;
}

namespace golfops::core::pg {

// How golfops connects to PostgreSQL.
struct Settings {
  Conninfo conninfo;
  Milliseconds connect_timeout{5000};
  Milliseconds statement_timeout{0}; // 0: the server's own setting
  // When set, connecting and every statement end by then on the client side
  // too (a server that stops answering cannot hold golfops past it).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string application_name = "golfops";
  // Where the password came from, named when authentication fails (never
  // the password): "database.password_file = /run/secrets/db (golfops.toml:3)".
  std::string password_origin;

  // "host:port/dbname", safe to show.
  std::string target() const { return describe_target(conninfo); }
};

// Settings from database.* keys: the URL, a password from password_file or
// the URL's ?password_file=, and the timeouts. Throws Error(usage) when the
// password is ambiguous or its file cannot be read.
Settings settings_from(const config::Config& config);
// Settings for another server (a health check's own url): the timeouts from
// database.*, the password only from that URL or its ?password_file=.
// An empty `url_override` is database.url. `origin` names it in errors.
Settings settings_from(const config::Config& config,
                       const std::string& url_override,
                       std::string_view origin);

class Client;
// Settings that reach the server `client` is connected to, as the same user,
// in database `dbname` (empty: the same database).
Settings settings_like(const Client& client, std::string_view dbname = {});

// A statement PostgreSQL refused, with the server's error fields, so callers
// can point at file:line:column (migrate) or react to SQLSTATE (lock timeouts).
class QueryError : public Error {
public:
  QueryError(const std::string& what, std::string sqlstate)
      : Error(ExitCode::failed, what), m_sqlstate(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return m_sqlstate; }

  std::string primary;             // the server's message
  std::string detail;              // DETAIL, may be empty
  std::string hint;                // HINT, may be empty
  std::string context;             // CONTEXT (e.g. the PL/pgSQL line), may be empty
  std::size_t position = 0;        // 1-based character offset into the query, 0 if none
  std::size_t statement_index = 0; // which statement of a multi-statement script failed (0-based)

private:
  std::string m_sqlstate;
};

// A query result, owning its PGresult.
class Result {
public:
  explicit Result(pg_result* result);
  explicit Result(std::shared_ptr<pg_result> result) : m_result(std::move(result)) {}
  std::size_t rows() const;
  std::size_t columns() const;
  bool is_null(std::size_t row, std::size_t column) const;
  std::string_view at(std::size_t row, std::size_t column) const; // "" when NULL
  std::string text(std::size_t row, std::size_t column) const {
    return std::string(at(row, column));
  }

private:
  std::shared_ptr<pg_result> m_result;
};

// A PostgreSQL connection over libpq, errors translated to core::Error:
// failing to connect is `unreachable` (naming host:port, never the password)
// with a typed failure (dns, connect, tls, timeout, auth, refused) taken from
// the connection phase libpq was in, never from its (translated) message;
// a refused statement is a QueryError (`failed`) with SQLSTATE and position.
// Connecting and every statement wait with poll(), so the deadline and
// SIGINT/SIGTERM (the statement is cancelled on the server) end them.
// libpq directly rather than libpqxx 6.4, which hides the error fields and
// the per-statement results migrate needs to name file:line:column.
class Client {
public:
  explicit Client(const Settings& settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& target() const { return m_target; }

  // Runs one statement (or several; the last result is returned).
  Result execute(const std::string& sql);
  // Runs one statement with $1.. parameters (nullopt is NULL).
  Result execute(const std::string& sql, const std::vector<std::optional<std::string>>& parameters);
  // Runs a multi-statement script as one simple query, as written (dollar
  // quotes, DO blocks and all). On failure the QueryError says which
  // statement failed (statement_index) and where (position).
  void run_script(const std::string& sql);

  // COPY ... FROM STDIN: copy_begin sends the statement and waits until the
  // server takes data; copy_send streams rows in the COPY format (as the
  // socket takes them, honouring the deadline and SIGINT); copy_end
  // finishes and returns the rows the server stored (its command tag). A
  // refused row is a QueryError from copy_end. Destroying the client while
  // a COPY is open discards everything sent since copy_begin.
  void copy_begin(const std::string& sql);
  void copy_send(std::string_view data);
  std::uint64_t copy_end();

  // Quoting for SQL text built by golfops (identifiers from config, literals
  // in bookkeeping statements), by libpq's own escaping.
  std::string quote_identifier(std::string_view identifier) const;
  std::string quote_literal(std::string_view literal) const;

  // The server's version, e.g. "15.18".
  std::string server_version() const;
  // The server process serving this connection (pg_stat_activity.pid).
  int backend_pid() const;
  // The parameters libpq used for this connection (PQconninfo): what was
  // given, PG* variables and defaults. Holds the password.
  Conninfo effective_conninfo() const;

private:
  [[noreturn]] void raise(const std::shared_ptr<pg_result>& result,
                          std::size_t statement_index = 0);
  void check_connection();
  void connect(const Conninfo& conninfo, std::chrono::steady_clock::time_point deadline);
  // Waits for every result of the query just sent, honouring the deadline and
  // cancellation.
  std::vector<std::shared_ptr<pg_result>> collect_results();
  // Waits for `events` on the socket; returns those that arrived.
  short wait_socket(short events, std::chrono::steady_clock::time_point deadline);
  void send(int sent);

  pg_conn* m_connection = nullptr;
  std::string m_target;
  std::optional<std::chrono::steady_clock::time_point> m_deadline;
  bool m_broken = false;
  std::string m_broken_because;
  std::string m_password_origin;
  std::string m_user;
};

} // namespace golfops::core::pg
