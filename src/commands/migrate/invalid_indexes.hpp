#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::pg {
class Client;
}

namespace golfops::commands::migrate {

// A `CREATE [UNIQUE] INDEX CONCURRENTLY` in a migration, as the lexer reads
// it. When such a build fails (a lock timeout, a duplicate key, a cancel)
// PostgreSQL keeps the index, marked INVALID: never used by queries, still
// maintained on every write, and a rerun's `IF NOT EXISTS` silently keeps it.
struct ConcurrentBuild {
  std::string table; // as written, quotes kept: what to_regclass() reads
  std::string index; // the name as stored (unquoted names folded); "" when unnamed
};

std::vector<ConcurrentBuild> concurrent_builds(std::string_view sql);

// Every INVALID index in the database, schema-qualified and quoted as SQL
// needs them, except those another session is building right now (an index
// under construction is invalid until its build ends). The session with
// backend `interrupted` (a build golfops just cancelled) does not count as
// building: what it leaves is invalid for good.
std::set<std::string> invalid_indexes(core::pg::Client& client, int interrupted = 0);

// The INVALID indexes that `builds` would create or skip (IF NOT EXISTS) on
// tables that exist now, not being built by anyone else. An unnamed build
// counts every invalid index of its table.
std::set<std::string> invalid_indexes_of(core::pg::Client& client,
                                         const std::vector<ConcurrentBuild>& builds,
                                         int interrupted = 0);

// "index public.t_u is INVALID ...: remove it with DROP INDEX CONCURRENTLY
// IF EXISTS public.t_u;", one line per index.
std::vector<std::string> describe_invalid(const std::set<std::string>& indexes);

} // namespace golfops::commands::migrate
