#include "commands/limits/session.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace golfops::commands::limits {
namespace {

// Calls `each` with every key matching `pattern` on every master, a SCAN
// page at a time (never KEYS: a page blocks the server for microseconds).
void scan_keys(
    core::redis::Router& redis,
    const std::string& pattern,
    core::Context& context,
    const std::function<void(core::redis::Client&, const std::vector<std::string>&)>& each_page) {
  for (auto* node : redis.masters()) {
    std::string cursor = "0";
    do {
      context.cancel.check();
      auto reply = node->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      if (reply.elements.size() != 2) {
        core::throw_failed(fmt::format("Redis at {}: SCAN answered oddly", node->address()));
      }
      cursor = reply.elements[0].text;
      std::vector<std::string> keys;
      for (const auto& key : reply.elements[1].elements) {
        keys.push_back(key.text);
      }
      if (!keys.empty()) {
        each_page(*node, keys);
      }
    } while (cursor != "0");
  }
}

const Rule* find_rule(const std::vector<Rule>& rules, std::string_view name) {
  auto found =
      std::find_if(rules.begin(), rules.end(), [&](const Rule& rule) { return rule.name == name; });
  return found == rules.end() ? nullptr : &*found;
}

std::vector<Rule> published_or_none(core::redis::Router& redis, const LimitsOptions& options) {
  auto published = read_published(redis, options.key_prefix);
  return published ? published->rules : std::vector<Rule>{};
}

std::int64_t server_now_ms(core::redis::Router& redis) {
  auto time = redis.seed().command({"TIME"});
  if (time.elements.size() != 2) {
    core::throw_failed("Redis: TIME answered oddly");
  }
  return redis_integer(time.elements[0].text, "TIME") * 1000 +
         redis_integer(time.elements[1].text, "TIME") / 1000;
}

// The scope value a reset names for `rule`: --ip, --user, --api-key or
// none for a global rule.
std::string value_for(const Rule& rule, const LimitsOptions& options) {
  auto found = match(
      rule, {rule.resource, options.request.ip, options.request.user, options.request.api_key});
  if (!found.applies) {
    auto flag = scope_flag(rule.scope);
    core::throw_usage(
        fmt::format("{}: rule '{}' {} (or --all for every bucket)", flag, rule.name, found.reason));
  }
  return found.value;
}

// A rule name that is neither published nor found in any key is a typo
// (a deleted rule's buckets and records stay readable): say so, with the
// closest published name.
void require_known_rule(const std::vector<Rule>& rules,
                        const std::string& name,
                        bool found_keys,
                        std::string_view field) {
  if (name.empty() || found_keys || find_rule(rules, name) != nullptr) {
    return;
  }
  std::vector<std::string_view> names;
  for (const auto& rule : rules) {
    names.push_back(rule.name);
  }
  auto closest = core::closest_match(name, names);
  core::throw_usage(
      fmt::format("{}: no rule '{}' is published or has buckets{}",
                  field,
                  name,
                  closest.empty() ? "" : fmt::format(" (did you mean '{}'?)", closest)));
}

} // namespace

UsageResult run_usage(const LimitsOptions& options, core::Context& context) {
  auto redis = connect_redis(context);
  auto rules = published_or_none(redis, options);
  require_known_rule(rules, options.rule, false, "--rule");
  UsageResult result;
  result.masters = static_cast<int>(redis.masters().size());
  std::vector<std::string> states;
  scan_keys(redis,
            bucket_pattern(options.key_prefix, options.rule),
            context,
            [&](core::redis::Client&, const std::vector<std::string>& keys) {
              result.scanned += static_cast<std::int64_t>(keys.size());
              for (const auto& key : keys) {
                auto name = parse_bucket_key(options.key_prefix, key);
                if (name && name->kind == BucketName::Kind::state) {
                  states.push_back(key);
                }
              }
            });
  for (const auto& key : states) {
    auto name = parse_bucket_key(options.key_prefix, key);
    const auto* rule = find_rule(rules, name->rule);
    if (rule == nullptr || name->scope != scope_name(rule->scope)) {
      ++result.unpublished;
      continue;
    }
    context.cancel.check();
    auto decision = run_script(redis, options.key_prefix, *rule, name->value, 0);
    result.buckets.push_back(
        {rule->name, name->scope, display_value(name->scope, name->value), decision});
  }
  // Fullest first: the share of the limit in use, then the count.
  auto used_share = [](const BucketUsage& bucket) {
    auto limit = std::max<std::int64_t>(bucket.decision.limit, 1);
    return static_cast<double>(limit - bucket.decision.remaining) / static_cast<double>(limit);
  };
  std::stable_sort(
      result.buckets.begin(),
      result.buckets.end(),
      [&](const BucketUsage& a, const BucketUsage& b) { return used_share(a) > used_share(b); });
  if (result.buckets.size() > static_cast<std::size_t>(options.top)) {
    result.buckets.resize(static_cast<std::size_t>(options.top));
  }
  return result;
}

ResetResult run_reset(const LimitsOptions& options, core::Context& context) {
  auto redis = connect_redis(context);
  ResetResult result;
  result.rule = options.name;
  result.all = options.all;
  auto where = redis.seed().address();
  if (options.all) {
    context.confirm.require(
        options.yes, fmt::format("reset of every bucket of rule '{}'", options.name), where);
    bool found_keys = false;
    scan_keys(redis,
              bucket_pattern(options.key_prefix, options.name),
              context,
              [&](core::redis::Client&, const std::vector<std::string>& keys) {
                for (const auto& key : keys) {
                  auto name = parse_bucket_key(options.key_prefix, key);
                  found_keys = found_keys || (name && name->rule == options.name);
                  if (name && name->kind == BucketName::Kind::state && name->rule == options.name) {
                    result.deleted += redis.command(key, {"UNLINK", key}).integer;
                  }
                }
              });
    require_known_rule(published_or_none(redis, options), options.name, found_keys, "NAME");
    return result;
  }
  auto rules = published_or_none(redis, options);
  const auto* rule = find_rule(rules, options.name);
  if (rule == nullptr) {
    core::throw_usage(fmt::format("NAME: '{}' is not a published rule (reset --all clears the "
                                  "buckets of a rule no longer published)",
                                  options.name));
  }
  auto value = value_for(*rule, options);
  result.value = display_value(scope_name(rule->scope), value);
  context.confirm.require(options.yes,
                          fmt::format("reset of rule '{}' for {} {}",
                                      rule->name,
                                      scope_name(rule->scope),
                                      result.value.empty() ? "(everyone)" : result.value),
                          where);
  auto key = bucket_keys(options.key_prefix, *rule, value).state;
  result.deleted = redis.command(key, {"UNLINK", key}).integer;
  return result;
}

ViolationsResult run_violations(const LimitsOptions& options, core::Context& context) {
  auto redis = connect_redis(context);
  ViolationsResult result;
  result.since = options.since.value_or(std::chrono::hours(1));
  auto from = server_now_ms(redis) - result.since.count();
  bool found_keys = false;
  scan_keys(redis,
            bucket_pattern(options.key_prefix, options.rule),
            context,
            [&](core::redis::Client& node, const std::vector<std::string>& keys) {
              std::vector<core::redis::Command> reads;
              std::vector<BucketName> names;
              for (const auto& key : keys) {
                auto name = parse_bucket_key(options.key_prefix, key);
                found_keys = found_keys || (name && name->rule == options.rule);
                if (name && name->kind == BucketName::Kind::violations &&
                    (options.rule.empty() || name->rule == options.rule)) {
                  reads.push_back({"XRANGE", key, std::to_string(from), "+"});
                  names.push_back(*name);
                }
              }
              auto replies = node.pipeline(reads);
              for (std::size_t index = 0; index < replies.size(); ++index) {
                for (const auto& entry : replies[index].elements) {
                  if (entry.elements.size() != 2) {
                    continue;
                  }
                  Violation violation;
                  violation.at_ms = redis_integer(
                      entry.elements[0].text.substr(0, entry.elements[0].text.find('-')),
                      reads[index][1]);
                  violation.rule = names[index].rule;
                  violation.scope = names[index].scope;
                  violation.value = display_value(names[index].scope, names[index].value);
                  const auto& fields = entry.elements[1].elements;
                  for (std::size_t field = 0; field + 1 < fields.size(); field += 2) {
                    const auto& text = fields[field + 1].text;
                    if (fields[field].text == "limit") {
                      violation.limit = redis_integer(text, reads[index][1]);
                    } else if (fields[field].text == "used") {
                      violation.used = redis_integer(text, reads[index][1]);
                    } else if (fields[field].text == "shadow") {
                      violation.shadow = text == "1";
                    }
                  }
                  result.violations.push_back(std::move(violation));
                }
              }
            });
  require_known_rule(published_or_none(redis, options), options.rule, found_keys, "--rule");
  std::sort(result.violations.begin(),
            result.violations.end(),
            [](const Violation& a, const Violation& b) { return a.at_ms > b.at_ms; });
  if (result.violations.size() > static_cast<std::size_t>(options.history_limit)) {
    result.violations.resize(static_cast<std::size_t>(options.history_limit));
  }
  return result;
}

StatsResult run_stats(const LimitsOptions& options, core::Context& context) {
  auto redis = connect_redis(context);
  auto rules = published_or_none(redis, options);
  StatsResult result;
  result.since = options.since.value_or(std::chrono::hours(24));
  // Counters are kept per hour: the hour `since` falls in counts whole.
  auto first_hour = (server_now_ms(redis) - result.since.count()) / 3600000;
  std::map<std::string, RuleStats> by_rule;
  bool found_keys = false;
  scan_keys(redis,
            bucket_pattern(options.key_prefix, options.rule),
            context,
            [&](core::redis::Client& node, const std::vector<std::string>& keys) {
              std::vector<core::redis::Command> reads;
              std::vector<std::string> owners;
              for (const auto& key : keys) {
                auto name = parse_bucket_key(options.key_prefix, key);
                found_keys = found_keys || (name && name->rule == options.rule);
                if (name && name->kind == BucketName::Kind::stats &&
                    (options.rule.empty() || name->rule == options.rule)) {
                  reads.push_back({"HGETALL", key});
                  owners.push_back(name->rule);
                }
              }
              auto replies = node.pipeline(reads);
              for (std::size_t index = 0; index < replies.size(); ++index) {
                auto& stats = by_rule[owners[index]];
                stats.rule = owners[index];
                bool counted = false;
                const auto& fields = replies[index].elements;
                for (std::size_t field = 0; field + 1 < fields.size(); field += 2) {
                  const auto& name = fields[field].text;
                  if (name.size() < 3 || redis_integer(std::string_view(name).substr(2),
                                                       reads[index][1]) < first_hour) {
                    continue;
                  }
                  auto count = redis_integer(fields[field + 1].text, reads[index][1]);
                  (name[0] == 'c' ? stats.checks : stats.over) += count;
                  counted = true;
                }
                stats.buckets += counted ? 1 : 0;
              }
            });
  require_known_rule(rules, options.rule, found_keys, "--rule");
  for (auto& [name, stats] : by_rule) {
    if (stats.checks == 0) {
      continue;
    }
    const auto* rule = find_rule(rules, name);
    stats.shadow = rule != nullptr && rule->shadow;
    result.rules.push_back(stats);
  }
  std::sort(result.rules.begin(), result.rules.end(), [](const RuleStats& a, const RuleStats& b) {
    return a.checks > b.checks;
  });
  return result;
}

} // namespace golfops::commands::limits
