#pragma once

#include "commands/migrate/source.hpp"
#include "core/pg/client.hpp"

#include <optional>
#include <set>
#include <string>

namespace golfops::commands::migrate {

// The state another migration tool left in a database, read from its own
// table with its real layout:
//   golang-migrate  schema_migrations(version bigint, dirty boolean), one row
//   dbmate          schema_migrations(version varchar), a row per migration
//   Flyway          flyway_schema_history(version, success, ...)
struct ForeignState {
  std::string tool;  // "golang-migrate", "dbmate", "Flyway"
  std::string table; // "public.schema_migrations"
  // golang-migrate: every version up to this one is applied.
  std::optional<Version> up_to;
  std::set<Version> applied; // dbmate, Flyway: each applied version
  // A run that stopped midway: golang-migrate's dirty flag, a Flyway row
  // with success = false. Never adopted as if it had finished.
  std::optional<std::string> unfinished;

  bool is_applied(const Version& version) const;
  bool empty() const { return !up_to && applied.empty() && !unfinished; }
};

// The other tool's state in `schema`, or nullopt when there is none.
// `own_table` (golfops' state table) is never taken for another tool's.
std::optional<ForeignState> read_foreign_state(core::pg::Client& client,
                                               const std::string& schema,
                                               const std::string& own_table);

} // namespace golfops::commands::migrate
