#include "commands/limits/store.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <unistd.h>

namespace golfops::commands::limits {
namespace {

constexpr const char* k_columns =
    "name, scope, scope_value, resource, requests, window_ms, algorithm, burst, enabled, shadow, "
    "priority, description, revision, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), created_by, "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), updated_by";

Rule rule_from_row(const core::pg::Result& result, std::size_t row) {
  Rule rule;
  rule.name = result.text(row, 0);
  rule.scope = parse_scope(result.at(row, 1), "scope");
  rule.scope_value = result.text(row, 2);
  rule.resource = result.text(row, 3);
  rule.rate = {std::stoll(result.text(row, 4)), std::stoll(result.text(row, 5))};
  rule.algorithm = parse_algorithm(result.at(row, 6), "algorithm");
  rule.burst = std::stoll(result.text(row, 7));
  rule.enabled = result.at(row, 8) == "t";
  rule.shadow = result.at(row, 9) == "t";
  rule.priority = std::stoll(result.text(row, 10));
  rule.description = result.text(row, 11);
  rule.version = std::stoll(result.text(row, 12));
  rule.created_at = result.text(row, 13);
  rule.created_by = result.text(row, 14);
  rule.updated_at = result.text(row, 15);
  rule.updated_by = result.text(row, 16);
  return rule;
}

// An audit row's jsonb image of the table row.
std::optional<Rule> rule_from_audit(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  auto json = nlohmann::json::parse(text);
  Rule rule;
  rule.name = json.value("name", "");
  rule.scope = parse_scope(json.value("scope", "ip"), "scope");
  rule.scope_value = json.value("scope_value", "");
  rule.resource = json.contains("resource") ? json.value("resource", "") : json.value("route", "");
  rule.rate = {json.value("requests", std::int64_t{0}), json.value("window_ms", std::int64_t{0})};
  rule.algorithm = parse_algorithm(json.value("algorithm", "fixed_window"), "algorithm");
  rule.burst = json.value("burst", std::int64_t{0});
  rule.enabled = json.value("enabled", true);
  rule.shadow = json.value("shadow", false);
  rule.priority = json.value("priority", std::int64_t{0});
  rule.description = json.value("description", "");
  rule.version = json.value("revision", std::int64_t{0});
  return rule;
}

std::vector<std::optional<std::string>> definition_parameters(const Rule& rule) {
  return {rule.name,
          std::string(scope_name(rule.scope)),
          rule.scope_value,
          rule.resource,
          std::to_string(rule.rate.limit),
          std::to_string(rule.rate.period_ms),
          std::string(algorithm_name(rule.algorithm)),
          std::to_string(rule.burst),
          rule.enabled ? "true" : "false",
          rule.shadow ? "true" : "false",
          std::to_string(rule.priority),
          rule.description};
}

} // namespace

std::string default_actor(const std::map<std::string, std::string>& environment) {
  for (const char* name : {"GOLFOPS_ACTOR", "SUDO_USER"}) {
    auto found = environment.find(name);
    if (found != environment.end() && !found->second.empty()) {
      // The audit trail shows it one line per change: nothing that could
      // forge another line.
      const auto& actor = found->second;
      if (!core::printable(actor) || actor.size() > 100) {
        core::throw_usage(fmt::format("{}: not an actor name (up to 100 printable characters, no "
                                      "newlines)",
                                      name));
      }
      return actor;
    }
  }
  const auto* entry = ::getpwuid(::geteuid());
  return entry != nullptr ? std::string(entry->pw_name) : std::string("unknown");
}

RuleStore::RuleStore(core::pg::Client& client, std::string actor)
    : m_client(client), m_actor(std::move(actor)) {
  auto columns =
      m_client.execute("SELECT count(*) FILTER (WHERE column_name = 'algorithm'), count(*) FROM "
                       "information_schema.columns WHERE table_schema = 'golfops' AND table_name = "
                       "'rate_limit_rules'");
  if (columns.at(0, 1) == "0") {
    core::throw_usage(
        fmt::format("PostgreSQL at {} has no golfops.rate_limit_rules table: apply "
                    "the project's migrations (0004 and 0005) with golfops migrate up",
                    m_client.target()));
  }
  if (columns.at(0, 0) == "0") {
    core::throw_usage(fmt::format("golfops.rate_limit_rules at {} predates migration 0005 "
                                  "(rate_limit_rules_v2): apply it with golfops migrate up",
                                  m_client.target()));
  }
}

void RuleStore::transaction(const std::function<void()>& work) {
  if (m_in_transaction) {
    work();
    return;
  }
  m_client.execute("BEGIN");
  m_in_transaction = true;
  try {
    m_client.execute("SELECT set_config('golfops.actor', $1, true)", {m_actor});
    work();
    m_client.execute("COMMIT");
    m_in_transaction = false;
  } catch (...) {
    m_in_transaction = false;
    try {
      m_client.execute("ROLLBACK");
    } catch (const core::Error&) {
      // The connection is gone: the server rolls back with it.
    }
    throw;
  }
}

std::vector<Rule> RuleStore::list(const RuleFilter& filter) {
  auto result = m_client.execute(
      fmt::format("SELECT {} FROM golfops.rate_limit_rules WHERE ($1::text IS NULL OR scope = $1) "
                  "AND ($2 = '' OR resource = $2) AND ($3::boolean IS NULL OR enabled = $3) "
                  "ORDER BY priority DESC, name",
                  k_columns),
      {filter.scope ? std::optional<std::string>(std::string(scope_name(*filter.scope)))
                    : std::nullopt,
       filter.resource,
       filter.enabled ? std::optional<std::string>(*filter.enabled ? "true" : "false")
                      : std::nullopt});
  std::vector<Rule> rules;
  for (std::size_t row = 0; row < result.rows(); ++row) {
    rules.push_back(rule_from_row(result, row));
  }
  return rules;
}

std::optional<Rule> RuleStore::find(const std::string& name) {
  auto result = m_client.execute(
      fmt::format("SELECT {} FROM golfops.rate_limit_rules WHERE name = $1", k_columns), {name});
  if (result.rows() == 0) {
    return std::nullopt;
  }
  return rule_from_row(result, 0);
}

Rule RuleStore::get(const std::string& name) {
  if (auto rule = find(name)) {
    return *rule;
  }
  std::vector<std::string> names;
  for (const auto& rule : list()) {
    names.push_back(rule.name);
  }
  std::vector<std::string_view> candidates(names.begin(), names.end());
  auto closest = core::closest_match(name, candidates);
  core::throw_usage(fmt::format("NAME: no rule '{}'{}",
                                name,
                                closest.empty() ? std::string(" (golfops limits list shows them)")
                                                : fmt::format("; did you mean '{}'?", closest)));
}

Rule RuleStore::create(const Rule& rule) {
  Rule created;
  transaction([&] {
    if (find(rule.name)) {
      core::throw_refused(fmt::format(
          "rule '{}' exists: change it with golfops limits update {}", rule.name, rule.name));
    }
    auto result = m_client.execute(
        fmt::format("INSERT INTO golfops.rate_limit_rules (name, scope, scope_value, resource, "
                    "requests, window_ms, algorithm, burst, enabled, shadow, priority, "
                    "description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                    "RETURNING {}",
                    k_columns),
        definition_parameters(rule));
    created = rule_from_row(result, 0);
  });
  return created;
}

namespace {

[[noreturn]] void stale(const Rule& current, std::int64_t expected) {
  if (expected > current.version) {
    core::throw_failed(fmt::format("rule '{}' is at version {}; there is no version {} yet: "
                                   "nothing was changed",
                                   current.name,
                                   current.version,
                                   expected));
  }
  core::throw_failed(fmt::format("rule '{}' is at version {}, not {}: someone changed it (last "
                                 "{} at {}); nothing was changed. Read it again with golfops "
                                 "limits get {}",
                                 current.name,
                                 current.version,
                                 expected,
                                 current.updated_by,
                                 current.updated_at,
                                 current.name));
}

} // namespace

void RuleStore::require_version(const Rule& current, std::optional<std::int64_t> expected) {
  if (expected && current.version != *expected) {
    stale(current, *expected);
  }
}

Rule RuleStore::update(const Rule& rule, std::optional<std::int64_t> if_version) {
  Rule updated;
  transaction([&] {
    auto parameters = definition_parameters(rule);
    parameters.push_back(if_version ? std::optional<std::string>(std::to_string(*if_version))
                                    : std::nullopt);
    auto result = m_client.execute(
        fmt::format("UPDATE golfops.rate_limit_rules SET scope = $2, scope_value = $3, resource = "
                    "$4, requests = $5, window_ms = $6, algorithm = $7, burst = $8, enabled = $9, "
                    "shadow = $10, priority = $11, description = $12 WHERE name = $1 AND "
                    "($13::bigint IS NULL OR revision = $13) RETURNING {}",
                    k_columns),
        parameters);
    if (result.rows() == 0) {
      auto current = get(rule.name);
      stale(current, *if_version);
    }
    updated = rule_from_row(result, 0);
  });
  return updated;
}

Rule RuleStore::set_enabled(const std::string& name,
                            bool enabled,
                            std::optional<std::int64_t> if_version) {
  Rule changed;
  transaction([&] {
    auto current = get(name);
    require_version(current, if_version);
    current.enabled = enabled;
    changed = update(current, current.version);
  });
  return changed;
}

Rule RuleStore::remove(const std::string& name, std::optional<std::int64_t> if_version) {
  Rule removed;
  transaction([&] {
    removed = get(name);
    require_version(removed, if_version);
    m_client.execute("DELETE FROM golfops.rate_limit_rules WHERE name = $1", {name});
  });
  return removed;
}

std::vector<AuditEntry> RuleStore::history(const std::string& name, int limit) {
  // By name in either image: a deleted rule's history stays readable.
  auto result = m_client.execute(
      "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), actor, action, "
      "coalesce(before::text, ''), coalesce(after::text, '') FROM golfops.rate_limit_audit WHERE "
      "before->>'name' = $1 OR after->>'name' = $1 ORDER BY at DESC, id DESC LIMIT $2",
      {name, std::to_string(limit)});
  std::vector<AuditEntry> entries;
  for (std::size_t row = 0; row < result.rows(); ++row) {
    entries.push_back({result.text(row, 0),
                       result.text(row, 1),
                       result.text(row, 2),
                       rule_from_audit(result.at(row, 3)),
                       rule_from_audit(result.at(row, 4))});
  }
  return entries;
}

} // namespace golfops::commands::limits
