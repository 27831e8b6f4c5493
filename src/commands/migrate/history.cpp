#include "commands/migrate/history.hpp"

#include "core/cancel.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"

#include <chrono>
#include <fmt/format.h>
#include <pwd.h>
#include <thread>
#include <unistd.h>

namespace golfops::commands::migrate {
namespace {

// The first advisory-lock key: "golf" in ASCII, so the lock is recognisable in pg_locks.
constexpr std::int32_t k_lock_class = 0x676f6c66;

std::string who_am_i() {
  const passwd* entry = ::getpwuid(::geteuid());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}@{}", entry != nullptr ? entry->pw_name : "?", host);
}

} // namespace

History::History(core::pg::Client& client, const std::string& schema, const std::string& table)
    : m_client(client), m_schema(schema), m_table(table),
      m_qualified(client.quote_identifier(schema) + "." + client.quote_identifier(table)),
      m_who(who_am_i()) {
  // The second key is derived from the table, so two state tables in one
  // database do not serialise each other.
  auto digest = core::sha256_hex(schema + "." + table);
  m_lock_key = static_cast<std::int32_t>(std::stoul(digest.substr(0, 7), nullptr, 16));
}

void History::ensure_table() {
  if (!table_exists()) {
    m_client.execute(ensure_table_sql());
  }
}

std::string History::ensure_table_sql() {
  // Only what is missing: IF NOT EXISTS still checks the privilege to create
  // first, and a managed service's migration role may create in its schema
  // but not in the database (CREATE SCHEMA needs that).
  auto schema_exists =
      m_client.execute("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", {m_schema})
          .at(0, 0) == "t";
  return fmt::format("{create_schema}"
                     "CREATE TABLE IF NOT EXISTS {table} (\n"
                     "  version text PRIMARY KEY,\n"
                     "  name text NOT NULL,\n"
                     "  checksum text NOT NULL,\n"
                     "  status text NOT NULL DEFAULT 'applied' CHECK (status IN "
                     "('applied', 'failed', 'baseline')),\n"
                     "  applied_at timestamptz NOT NULL DEFAULT now(),\n"
                     "  applied_by text NOT NULL,\n"
                     "  execution_ms bigint NOT NULL DEFAULT 0,\n"
                     "  error text\n"
                     ")",
                     fmt::arg("create_schema",
                              schema_exists ? std::string()
                                            : fmt::format("CREATE SCHEMA {};\n",
                                                          m_client.quote_identifier(m_schema))),
                     fmt::arg("table", m_qualified));
}

bool History::table_exists() {
  auto result = m_client.execute("SELECT to_regclass($1) IS NOT NULL", {m_qualified});
  return result.at(0, 0) == "t";
}

std::map<Version, AppliedRow> History::read() {
  std::map<Version, AppliedRow> rows;
  if (!table_exists()) {
    return rows;
  }
  auto result = m_client.execute(fmt::format(
      "SELECT version, name, checksum, status, "
      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, "
      "execution_ms, coalesce(error, '') FROM {}",
      m_qualified));
  for (std::size_t row = 0; row < result.rows(); ++row) {
    auto version = parse_version(result.text(row, 0));
    if (!version) {
      core::throw_failed(
          fmt::format("{}: version '{}' is not a version", m_qualified, result.text(row, 0)));
    }
    auto status = parse_record_status(result.at(row, 3));
    if (!status) {
      core::throw_failed(fmt::format("{}: version {} has status '{}' (expected applied, failed "
                                     "or baseline)",
                                     m_qualified,
                                     result.text(row, 0),
                                     result.text(row, 3)));
    }
    rows[*version] = AppliedRow{*version,
                                result.text(row, 1),
                                result.text(row, 2),
                                *status,
                                result.text(row, 4),
                                result.text(row, 5),
                                std::stoll(result.text(row, 6)),
                                result.text(row, 7)};
  }
  return rows;
}

std::string History::record_sql(const Migration& migration,
                                std::int64_t execution_ms,
                                RecordStatus status,
                                std::string_view error) const {
  return fmt::format(
      "INSERT INTO {} (version, name, checksum, status, applied_by, execution_ms, error) "
      "VALUES ({}, {}, {}, {}, {} || ' (' || current_user || ')', {}, {}) "
      "ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, "
      "status = excluded.status, applied_at = now(), applied_by = excluded.applied_by, "
      "execution_ms = excluded.execution_ms, error = excluded.error",
      m_qualified,
      m_client.quote_literal(migration.version.text()),
      m_client.quote_literal(migration.name),
      m_client.quote_literal(migration.checksum),
      m_client.quote_literal(to_string(status)),
      m_client.quote_literal(m_who),
      execution_ms,
      error.empty() ? "NULL" : m_client.quote_literal(error));
}

std::string History::force_applied_sql(const Migration& migration) const {
  // An existing row keeps who applied it, when and how long it took, and its
  // error; the force is added to that record instead of replacing it.
  auto forced = fmt::format("'forced to applied at ' || to_char(now() AT TIME ZONE 'UTC', "
                            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ' by ' || {} || ' (' || "
                            "current_user || ')'",
                            m_client.quote_literal(m_who));
  return fmt::format(
      "INSERT INTO {table} (version, name, checksum, status, applied_by, execution_ms, error) "
      "VALUES ({version}, {name}, {checksum}, 'applied', {who} || ' (' || current_user || ')', 0, "
      "{forced}) ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = "
      "excluded.checksum, status = 'applied', error = concat_ws('; ', {table}.error, {forced})",
      fmt::arg("table", m_qualified),
      fmt::arg("version", m_client.quote_literal(migration.version.text())),
      fmt::arg("name", m_client.quote_literal(migration.name)),
      fmt::arg("checksum", m_client.quote_literal(migration.checksum)),
      fmt::arg("who", m_client.quote_literal(m_who)),
      fmt::arg("forced", forced));
}

std::string History::forget_sql(const Version& version) const {
  return fmt::format(
      "DELETE FROM {} WHERE version = {}", m_qualified, m_client.quote_literal(version.text()));
}

History::Guard History::lock(core::Milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(10);
  auto key = std::to_string(m_lock_key);
  auto lock_class = std::to_string(k_lock_class);
  while (true) {
    auto taken =
        m_client.execute("SELECT pg_try_advisory_lock($1::int, $2::int)", {lock_class, key});
    if (taken.at(0, 0) == "t") {
      return Guard(*this);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    core::Cancellation::process().sleep_for(std::chrono::duration_cast<core::Milliseconds>(pause));
    pause = std::min(pause * 2, std::chrono::milliseconds(250));
  }
  auto holder = m_client.execute(
      "SELECT coalesce(nullif(a.application_name, ''), '?'), a.pid, "
      "coalesce(host(a.client_addr), 'local socket'), "
      "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), a.usename "
      "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid "
      "AND l.objid = $2::int::oid AND l.objsubid = 2",
      {lock_class, key});
  if (holder.rows() == 0) {
    core::throw_refused(fmt::format("another migrate run held the lock on {} for longer than the "
                                    "lock wait ({}); it has just been released, try again",
                                    m_qualified,
                                    core::format_duration(wait)));
  }
  core::throw_refused(fmt::format(
      "another migrate run holds the lock on {} (application '{}', pid {}, user {}, from {}, "
      "connected since {}); waited {} (--lock-timeout)",
      m_qualified,
      holder.text(0, 0),
      holder.text(0, 1),
      holder.text(0, 4),
      holder.text(0, 2),
      holder.text(0, 3),
      core::format_duration(wait)));
}

History::Guard::~Guard() {
  try {
    m_history.m_client.execute(
        "SELECT pg_advisory_unlock($1::int, $2::int)",
        {std::to_string(k_lock_class), std::to_string(m_history.m_lock_key)});
  } catch (const std::exception&) {
    // The lock is session-level: a broken session has released it already.
  }
}

} // namespace golfops::commands::migrate
