#pragma once

#include "commands/limits/rule.hpp"
#include "core/pg/client.hpp"
#include "core/redis/cluster.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::limits {

// One `publish`: the enabled rules Redis got, kept in PostgreSQL
// (golfops.rate_limit_revisions) for drift and rollback.
struct Revision {
  std::int64_t number = 0;
  std::string published_at;
  std::string published_by;
  std::string checksum;
  std::string note; // "rollback to 3"
  std::vector<Rule> rules;
};

// SHA-256 of the rules' definitions in name order: equal sets, equal sums.
std::string rules_checksum(std::vector<Rule> rules);

// Revisions in PostgreSQL.
std::vector<Revision> list_revisions(core::pg::Client& client, int limit);
std::optional<Revision> find_revision(core::pg::Client& client, std::int64_t number);
// Inserts a revision (in the caller's transaction): its number and time.
Revision insert_revision(core::pg::Client& client, const Revision& revision);

// The rule set services read from Redis (docs/limits.md, "What services
// read"), all under the hash tag {rules} so one MULTI writes it:
//   <prefix>{rules}        hash: rule name -> definition JSON
//   <prefix>{rules}:meta   hash: revision, checksum, published_at, published_by, note
// and the channel <prefix>rules, where each publish announces itself.
std::string rules_key(std::string_view prefix);
std::string channel(std::string_view prefix);

// What Redis holds now; nullopt when nothing was ever published.
std::optional<Revision> read_published(core::redis::Router& router, std::string_view prefix);
// Replaces the rule set in one MULTI/EXEC.
void write_published(core::redis::Router& router,
                     std::string_view prefix,
                     const Revision& revision);
// PUBLISHes {"revision":N,"checksum":...,"rules":count} on the channel;
// returns how many subscribers received it.
std::int64_t
announce(core::redis::Router& router, std::string_view prefix, const Revision& revision);

} // namespace golfops::commands::limits
