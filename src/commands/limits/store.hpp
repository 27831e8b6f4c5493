#pragma once

#include "commands/limits/rule.hpp"
#include "core/pg/client.hpp"

#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::limits {

// One audit row: who changed a rule, when, how, and the definitions before
// and after (null for create / delete).
struct AuditEntry {
  std::string at;
  std::string actor;
  std::string action; // create, update, enable, disable, delete
  std::optional<Rule> before;
  std::optional<Rule> after;
};

struct RuleFilter {
  std::optional<Scope> scope;
  std::string resource; // exact; empty: any
  std::optional<bool> enabled;
};

// The rules in golfops.rate_limit_rules (migrations/0004 and 0005), read
// and changed in transactions that name the actor, so the audit trigger
// records the person behind golfops (GOLFOPS_ACTOR, else the login name)
// and not only the database role.
class RuleStore {
public:
  // Throws Error(usage) when the schema is missing or older than 0005,
  // naming the migration to apply.
  RuleStore(core::pg::Client& client, std::string actor);

  std::vector<Rule> list(const RuleFilter& filter = {});
  std::optional<Rule> find(const std::string& name);
  // Throws Error(usage) when no rule has that name, naming the closest.
  Rule get(const std::string& name);

  // Throws Error(refused) when the name is taken.
  Rule create(const Rule& rule);
  // `if_version`: the version the caller read; a stale one is
  // Error(failed) and changes nothing (optimistic concurrency).
  Rule update(const Rule& rule, std::optional<std::int64_t> if_version);
  Rule set_enabled(const std::string& name, bool enabled, std::optional<std::int64_t> if_version);
  Rule remove(const std::string& name, std::optional<std::int64_t> if_version);
  // Error(failed) naming who changed it when `current` is not at `expected`.
  static void require_version(const Rule& current, std::optional<std::int64_t> expected);
  std::vector<AuditEntry> history(const std::string& name, int limit);

  // Runs `work` in one transaction with the actor set; any throw rolls
  // everything back (import applies all of its changes or none).
  void transaction(const std::function<void()>& work);

private:
  core::pg::Client& m_client;
  std::string m_actor;
  bool m_in_transaction = false;
};

// GOLFOPS_ACTOR, else SUDO_USER, else the login name: who to audit.
std::string default_actor(const std::map<std::string, std::string>& environment);

} // namespace golfops::commands::limits
