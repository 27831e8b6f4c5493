#pragma once

#include "commands/migrate/source.hpp"
#include "commands/migrate/states.hpp"
#include "core/pg/client.hpp"
#include "core/units.hpp"

#include <map>
#include <optional>
#include <string>

namespace golfops::commands::migrate {

// A row of the state table.
struct AppliedRow {
  Version version;
  std::string name;
  std::string checksum;
  RecordStatus status = RecordStatus::applied;
  std::string applied_at;
  std::string applied_by;
  std::int64_t execution_ms = 0;
  std::string error;
};

// The state table (golfops_schema_migrations) and the advisory lock that
// serialises migrate runs against one database.
class History {
public:
  History(core::pg::Client& client, const std::string& schema, const std::string& table);

  // Creates the schema and table when missing (call with the lock held).
  void ensure_table();
  // The SQL that creates what is missing: the schema only when it does not
  // exist (CREATE SCHEMA needs CREATE on the database), then the table.
  std::string ensure_table_sql();
  bool table_exists();
  // Every row, by version; empty when the table does not exist yet.
  std::map<Version, AppliedRow> read();

  // SQL that records `migration` as applied (run inside its transaction).
  std::string record_sql(const Migration& migration,
                         std::int64_t execution_ms,
                         RecordStatus status = RecordStatus::applied,
                         std::string_view error = "") const;
  std::string forget_sql(const Version& version) const;
  // SQL that marks `migration` applied without running it (`force`), keeping
  // an existing row's audit data and adding the force to its error column.
  std::string force_applied_sql(const Migration& migration) const;

  // Takes the session-level advisory lock, waiting up to `wait`; throws
  // Error(refused) naming the holder (application, pid, address, since).
  // Released when the guard dies (or, whatever happens, with the session).
  class Guard {
  public:
    explicit Guard(History& history) : m_history(history) {}
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

  private:
    History& m_history;
  };
  [[nodiscard]] Guard lock(core::Milliseconds wait);

  const std::string& qualified_table() const { return m_qualified; }

private:
  core::pg::Client& m_client;
  std::string m_schema;
  std::string m_table;
  std::string m_qualified;
  std::int32_t m_lock_key;
  std::string m_who;
};

} // namespace golfops::commands::migrate
