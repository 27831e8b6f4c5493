#include "commands/limits/published.hpp"

#include "commands/limits/bucket.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace golfops::commands::limits {
namespace {

constexpr const char* k_revision_columns =
    "revision, to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "published_by, checksum, note, rules::text";

nlohmann::json definitions(const std::vector<Rule>& rules) {
  auto array = nlohmann::json::array();
  for (const auto& rule : rules) {
    array.push_back(definition_json(rule));
  }
  return array;
}

std::vector<Rule> rules_from(const nlohmann::json& array, std::string_view source) {
  std::vector<Rule> rules;
  for (const auto& item : array) {
    rules.push_back(rule_from_definition(item, source));
  }
  return rules;
}

Revision revision_from_row(const core::pg::Result& result, std::size_t row) {
  Revision revision;
  revision.number = std::stoll(result.text(row, 0));
  revision.published_at = result.text(row, 1);
  revision.published_by = result.text(row, 2);
  revision.checksum = result.text(row, 3);
  revision.note = result.text(row, 4);
  revision.rules = rules_from(nlohmann::json::parse(result.at(row, 5)),
                              fmt::format("revision {}", revision.number));
  return revision;
}

std::string meta_key(std::string_view prefix) {
  return rules_key(prefix) + ":meta";
}

} // namespace

std::string rules_checksum(std::vector<Rule> rules) {
  std::sort(
      rules.begin(), rules.end(), [](const Rule& a, const Rule& b) { return a.name < b.name; });
  return core::sha256_hex(definitions(rules).dump());
}

std::vector<Revision> list_revisions(core::pg::Client& client, int limit) {
  auto result = client.execute(fmt::format("SELECT {} FROM golfops.rate_limit_revisions ORDER BY "
                                           "revision DESC LIMIT $1",
                                           k_revision_columns),
                               {std::to_string(limit)});
  std::vector<Revision> revisions;
  for (std::size_t row = 0; row < result.rows(); ++row) {
    revisions.push_back(revision_from_row(result, row));
  }
  return revisions;
}

std::optional<Revision> find_revision(core::pg::Client& client, std::int64_t number) {
  auto result =
      client.execute(fmt::format("SELECT {} FROM golfops.rate_limit_revisions WHERE revision = $1",
                                 k_revision_columns),
                     {std::to_string(number)});
  if (result.rows() == 0) {
    return std::nullopt;
  }
  return revision_from_row(result, 0);
}

Revision insert_revision(core::pg::Client& client, const Revision& revision) {
  auto result = client.execute(
      fmt::format("INSERT INTO golfops.rate_limit_revisions (published_by, rules, checksum, note) "
                  "VALUES ($1, $2::jsonb, $3, $4) RETURNING {}",
                  k_revision_columns),
      {revision.published_by,
       definitions(revision.rules).dump(),
       revision.checksum,
       revision.note});
  return revision_from_row(result, 0);
}

std::string rules_key(std::string_view prefix) {
  return fmt::format("{}{{rules}}", prefix);
}

std::string channel(std::string_view prefix) {
  return fmt::format("{}rules", prefix);
}

std::optional<Revision> read_published(core::redis::Router& router, std::string_view prefix) {
  auto meta = router.command(meta_key(prefix), {"HGETALL", meta_key(prefix)});
  if (meta.elements.empty()) {
    return std::nullopt;
  }
  Revision revision;
  for (std::size_t index = 0; index + 1 < meta.elements.size(); index += 2) {
    const auto& field = meta.elements[index].text;
    const auto& value = meta.elements[index + 1].text;
    if (field == "revision") {
      revision.number = redis_integer(value, meta_key(prefix) + " revision");
    } else if (field == "checksum") {
      revision.checksum = value;
    } else if (field == "published_at") {
      revision.published_at = value;
    } else if (field == "published_by") {
      revision.published_by = value;
    } else if (field == "note") {
      revision.note = value;
    }
  }
  auto rules = router.command(rules_key(prefix), {"HGETALL", rules_key(prefix)});
  auto source = fmt::format("Redis {}", rules_key(prefix));
  for (std::size_t index = 0; index + 1 < rules.elements.size(); index += 2) {
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(rules.elements[index + 1].text);
    } catch (const nlohmann::json::exception&) {
      core::throw_failed(
          fmt::format("{}: rule '{}' is not JSON", source, rules.elements[index].text));
    }
    revision.rules.push_back(rule_from_definition(json, source));
  }
  std::sort(revision.rules.begin(), revision.rules.end(), [](const Rule& a, const Rule& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.name < b.name;
  });
  return revision;
}

void write_published(core::redis::Router& router,
                     std::string_view prefix,
                     const Revision& revision) {
  auto rules = rules_key(prefix);
  auto meta = meta_key(prefix);
  core::redis::Command set_rules{"HSET", rules};
  for (const auto& rule : revision.rules) {
    set_rules.push_back(rule.name);
    set_rules.push_back(definition_json(rule).dump());
  }
  // Both keys share the hash tag, so on a cluster they live on one node and
  // MULTI/EXEC replaces them at once: a service never reads half a set.
  std::vector<core::redis::Command> transaction{{"MULTI"}, {"DEL", rules}};
  if (!revision.rules.empty()) {
    transaction.push_back(set_rules);
  }
  transaction.push_back({"HSET",
                         meta,
                         "revision",
                         std::to_string(revision.number),
                         "checksum",
                         revision.checksum,
                         "published_at",
                         revision.published_at,
                         "published_by",
                         revision.published_by,
                         "note",
                         revision.note});
  transaction.push_back({"EXEC"});
  auto replies = router.pipeline(rules, transaction);
  for (const auto& reply : replies) {
    if (reply.is_error()) {
      core::throw_failed(fmt::format("Redis: publishing the rule set: {}", reply.text));
    }
  }
  if (replies.back().type != core::redis::Reply::Type::array) {
    core::throw_failed("Redis: publishing the rule set: the transaction was aborted");
  }
}

std::int64_t
announce(core::redis::Router& router, std::string_view prefix, const Revision& revision) {
  auto rules = rules_key(prefix);
  nlohmann::json message = {{"revision", revision.number},
                            {"checksum", revision.checksum},
                            {"rules", revision.rules.size()}};
  return router.command(rules, {"PUBLISH", channel(prefix), message.dump()}).integer;
}

} // namespace golfops::commands::limits
