#pragma once

#include "commands/migrate/source.hpp"

#include <string>

namespace golfops::commands::migrate {

// The SQL golfops sends for `script`, checked before anything runs.
//
// A transactional script runs inside golfops' own BEGIN ... COMMIT, so:
// - a BEGIN (or START TRANSACTION) first and COMMIT (or END) last, wrapping
//   the whole file as golang-migrate users write it, is blanked out (offsets
//   and line numbers kept, so errors still point at file:line:column) and the
//   file runs in golfops' transaction, all or nothing;
// - any other transaction-control statement (a COMMIT midway, ROLLBACK,
//   SAVEPOINT, ...) is refused: it would make part of the file permanent
//   before a later statement fails;
// - a statement PostgreSQL cannot run in a transaction block (CREATE/DROP
//   INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, VACUUM, CREATE/DROP
//   DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE, bare CLUSTER) is
//   refused, naming the marker that fixes it.
// Refusals are Error(usage) naming file:line and what to do. A
// `-- golfops:no-transaction` script is returned as written: it manages its
// own transactions.
std::string runnable_sql(const Script& script);

} // namespace golfops::commands::migrate
