#include "commands/limits/rule.hpp"

#include "core/config/toml_document.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <charconv>
#include <fmt/format.h>
#include <limits>
#include <set>
#include <sstream>
#include <toml++/toml.h>
#include <utility>

namespace golfops::commands::limits {
namespace {

// sliding_log keeps an entry per admitted request: bounded memory per bucket.
constexpr std::int64_t k_sliding_log_limit = 10000;

constexpr std::array<std::pair<Scope, std::string_view>, 4> k_scopes{{
    {Scope::ip, "ip"},
    {Scope::user, "user"},
    {Scope::api_key, "api_key"},
    {Scope::global, "global"},
}};
constexpr std::array<std::pair<Algorithm, std::string_view>, 4> k_algorithms{{
    {Algorithm::fixed_window, "fixed_window"},
    {Algorithm::sliding_window, "sliding_window"},
    {Algorithm::sliding_log, "sliding_log"},
    {Algorithm::gcra, "gcra"},
}};
// window_ms is an integer column: about 24 days.
constexpr std::int64_t k_longest_period_ms = std::numeric_limits<std::int32_t>::max();

bool all_of_chars(std::string_view text, auto&& allowed) {
  return std::all_of(
      text.begin(), text.end(), [&](char c) { return allowed(static_cast<unsigned char>(c)); });
}

bool identifier(std::string_view text, std::string_view extra) {
  return !text.empty() &&
         ((text[0] >= 'a' && text[0] <= 'z') || (text[0] >= '0' && text[0] <= '9')) &&
         all_of_chars(text, [&](unsigned char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  extra.find(static_cast<char>(c)) != std::string_view::npos;
         });
}

std::string allowed_names(const auto& table) {
  std::string names;
  for (const auto& [value, name] : table) {
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  return names;
}

} // namespace

std::string_view scope_name(Scope scope) {
  for (const auto& [value, name] : k_scopes) {
    if (value == scope) {
      return name;
    }
  }
  return "?";
}

std::string_view algorithm_name(Algorithm algorithm) {
  for (const auto& [value, name] : k_algorithms) {
    if (value == algorithm) {
      return name;
    }
  }
  return "?";
}

Scope parse_scope(std::string_view text, std::string_view field) {
  for (const auto& [value, name] : k_scopes) {
    if (name == text) {
      return value;
    }
  }
  core::throw_usage(
      fmt::format("{}: '{}' is not a scope (expected {})", field, text, allowed_names(k_scopes)));
}

Algorithm parse_algorithm(std::string_view text, std::string_view field) {
  for (const auto& [value, name] : k_algorithms) {
    if (name == text) {
      return value;
    }
  }
  core::throw_usage(fmt::format(
      "{}: '{}' is not an algorithm (expected {})", field, text, allowed_names(k_algorithms)));
}

Rate parse_rate(std::string_view text, std::string_view field) {
  auto refuse = [&] {
    core::throw_usage(fmt::format("{}: '{}' is not a rate (expected LIMIT/PERIOD with a limit of "
                                  "at least 1 and a period from 1s to 24d, e.g. 100/60s or 5/1h)",
                                  field,
                                  text));
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    refuse();
  }
  auto count = text.substr(0, slash);
  std::int64_t limit = 0;
  auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), limit);
  if (count.empty() || error != std::errc() || end != count.data() + count.size() || limit < 1 ||
      limit > std::numeric_limits<std::int32_t>::max()) {
    refuse();
  }
  auto period_text = text.substr(slash + 1);
  // "100/s", "5/h": one of the unit.
  if (period_text == "s" || period_text == "m" || period_text == "h" || period_text == "d") {
    period_text = std::string_view(period_text == "s"   ? "1s"
                                   : period_text == "m" ? "1m"
                                   : period_text == "h" ? "1h"
                                                        : "24h");
  }
  std::int64_t period_ms = 0;
  try {
    period_ms = core::parse_duration(period_text, field).count();
  } catch (const core::Error&) {
    refuse();
  }
  if (period_ms < 1000 || period_ms > k_longest_period_ms || period_ms % 1000 != 0) {
    refuse();
  }
  return {limit, period_ms};
}

std::string format_rate(const Rate& rate) {
  auto seconds = rate.period_ms / 1000;
  auto period = seconds % 3600 == 0 ? fmt::format("{}h", seconds / 3600)
                : seconds % 60 == 0 ? fmt::format("{}m", seconds / 60)
                                    : fmt::format("{}s", seconds);
  return fmt::format("{}/{}", rate.limit, period);
}

FieldLabel flag_labels() {
  return [](std::string_view field) {
    if (field == "name") {
      return std::string("NAME");
    }
    std::string flag = "--" + std::string(field);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  };
}

FieldLabel file_labels(std::string prefix) {
  return [prefix = std::move(prefix)](std::string_view field) {
    return fmt::format("{}: {}", prefix, field);
  };
}

void validate(const Rule& rule, const FieldLabel& field) {
  if (!identifier(rule.name, ".:-") || rule.name.size() > 63) {
    core::throw_usage(fmt::format("{}: '{}' is not a rule name (1 to 63 of a-z, 0-9, _ . : -, "
                                  "starting with a letter or digit)",
                                  field("name"),
                                  rule.name));
  }
  if (!rule.resource.empty() &&
      (!identifier(rule.resource, ".:/-") || rule.resource.size() > 100)) {
    core::throw_usage(fmt::format("{}: '{}' is not a resource (empty for every resource, or up "
                                  "to 100 of a-z, 0-9, _ . : / -)",
                                  field("resource"),
                                  rule.resource));
  }
  if (rule.scope == Scope::global && !rule.scope_value.empty()) {
    core::throw_usage(fmt::format("{}: '{}' given with scope global (one bucket for everyone has "
                                  "no value; use scope ip, user or api_key)",
                                  field("scope_value"),
                                  rule.scope_value));
  }
  in6_addr address{};
  if (rule.scope == Scope::ip && !rule.scope_value.empty() &&
      ::inet_pton(AF_INET, rule.scope_value.c_str(), &address) != 1 &&
      ::inet_pton(AF_INET6, rule.scope_value.c_str(), &address) != 1) {
    core::throw_usage(fmt::format(
        "{}: '{}' is not an IP address (scope ip counts by the client's "
        "address: 203.0.113.7 or 2001:db8::1)",
        field("scope_value"),
        core::printable(rule.scope_value) ? rule.scope_value : std::string("(unprintable)")));
  }
  if (!core::printable(rule.scope_value) || rule.scope_value.size() > 200) {
    core::throw_usage(fmt::format("{}: not a scope value (up to 200 printable characters)",
                                  field("scope_value")));
  }
  if (rule.rate.limit < 1 || rule.rate.period_ms < 1000) {
    core::throw_usage(fmt::format("{}: '{}' is not a rate (a limit of at least 1 per a period of "
                                  "at least 1s)",
                                  field("rate"),
                                  format_rate(rule.rate)));
  }
  if (rule.algorithm == Algorithm::sliding_log && rule.rate.limit > k_sliding_log_limit) {
    core::throw_usage(fmt::format("{}: {} with sliding_log (it keeps one entry per request: at "
                                  "most {}; sliding_window counts any limit in 11 counters)",
                                  field("rate"),
                                  format_rate(rule.rate),
                                  k_sliding_log_limit));
  }
  if (rule.algorithm == Algorithm::gcra && rule.rate.limit > rule.rate.period_ms * 1000) {
    core::throw_usage(fmt::format("{}: {} with gcra (at most 1000000 per second: it spaces "
                                  "requests at least a microsecond apart)",
                                  field("rate"),
                                  format_rate(rule.rate)));
  }
  if (rule.burst < 0 || rule.burst > std::numeric_limits<std::int32_t>::max()) {
    core::throw_usage(
        fmt::format("{}: {} is not a burst (0 to 2147483647)", field("burst"), rule.burst));
  }
  if (rule.burst > 0 && rule.algorithm != Algorithm::gcra) {
    core::throw_usage(fmt::format("{}: {} with algorithm {} (a burst is for gcra only; the window "
                                  "algorithms admit the whole limit at once)",
                                  field("burst"),
                                  rule.burst,
                                  algorithm_name(rule.algorithm)));
  }
  if (rule.priority < -1000000 || rule.priority > 1000000) {
    core::throw_usage(fmt::format(
        "{}: {} is not a priority (-1000000 to 1000000)", field("priority"), rule.priority));
  }
  if (!core::printable(rule.description) || rule.description.size() > 500) {
    core::throw_usage(fmt::format("{}: not a description (up to 500 printable characters, no "
                                  "newlines)",
                                  field("description")));
  }
}

nlohmann::json definition_json(const Rule& rule) {
  return {{"name", rule.name},
          {"scope", scope_name(rule.scope)},
          {"scope_value", rule.scope_value},
          {"resource", rule.resource},
          {"rate", format_rate(rule.rate)},
          {"limit", rule.rate.limit},
          {"period_seconds", rule.rate.period_ms / 1000},
          {"algorithm", algorithm_name(rule.algorithm)},
          {"burst", rule.burst},
          {"enabled", rule.enabled},
          {"shadow", rule.shadow},
          {"priority", rule.priority},
          {"description", rule.description}};
}

Rule rule_from_definition(const nlohmann::json& json, std::string_view source) {
  Rule rule;
  try {
    rule.name = json.at("name").get<std::string>();
    rule.scope = parse_scope(json.at("scope").get<std::string>(), "scope");
    rule.scope_value = json.at("scope_value").get<std::string>();
    rule.resource = json.at("resource").get<std::string>();
    rule.rate = {json.at("limit").get<std::int64_t>(),
                 json.at("period_seconds").get<std::int64_t>() * 1000};
    rule.algorithm = parse_algorithm(json.at("algorithm").get<std::string>(), "algorithm");
    rule.burst = json.at("burst").get<std::int64_t>();
    rule.enabled = json.at("enabled").get<bool>();
    rule.shadow = json.at("shadow").get<bool>();
    rule.priority = json.at("priority").get<std::int64_t>();
    rule.description = json.at("description").get<std::string>();
  } catch (const nlohmann::json::exception& error) {
    core::throw_failed(fmt::format("{}: not a golfops rule ({})", source, error.what()));
  } catch (const core::Error& error) {
    core::throw_failed(fmt::format("{}: {}", source, error.what()));
  }
  // Not validate(): a rule published under older checks must still be
  // read (to be shown, compared and replaced); only what the scripts need.
  if (rule.rate.limit < 1 || rule.rate.period_ms < 1000 || rule.burst < 0) {
    core::throw_failed(fmt::format("{}: rule '{}' has rate {} and burst {}: not enforceable",
                                   source,
                                   rule.name,
                                   format_rate(rule.rate),
                                   rule.burst));
  }
  return rule;
}

nlohmann::json rule_json(const Rule& rule) {
  auto json = definition_json(rule);
  json["version"] = rule.version;
  json["created_at"] = rule.created_at;
  json["created_by"] = rule.created_by;
  json["updated_at"] = rule.updated_at;
  json["updated_by"] = rule.updated_by;
  return json;
}

std::vector<std::string> differences(const Rule& before, const Rule& after) {
  auto old_json = definition_json(before);
  auto new_json = definition_json(after);
  std::vector<std::string> changed;
  for (const auto& [key, value] : new_json.items()) {
    if (key == "limit" || key == "period_seconds") {
      continue; // shown as rate
    }
    if (old_json[key] != value) {
      auto shown = [](const nlohmann::json& field) {
        return field.is_string() ? fmt::format("'{}'", field.get<std::string>()) : field.dump();
      };
      changed.push_back(fmt::format("{} {} -> {}", key, shown(old_json[key]), shown(value)));
    }
  }
  return changed;
}

std::vector<Rule> parse_rule_file(std::string_view document_text, std::string_view source) {
  auto document = core::config::parse_toml(document_text, source, source);
  for (const auto& [key, value] : document) {
    if (key.str() != "rule") {
      core::throw_usage(fmt::format(
          "{}: unknown table or key '{}' (expected [[rule]] tables)", source, key.str()));
    }
  }
  std::vector<Rule> rules;
  const auto* array = document["rule"].as_array();
  if (document.contains("rule") && array == nullptr) {
    core::throw_usage(fmt::format("{}: 'rule' must be [[rule]] tables", source));
  }
  std::set<std::string> names;
  for (std::size_t index = 0; array != nullptr && index < array->size(); ++index) {
    const auto* table = (*array)[index].as_table();
    auto line = (*array)[index].source().begin.line;
    auto where = fmt::format("{}:{}: rule {}", source, line, index + 1);
    if (table == nullptr) {
      core::throw_usage(fmt::format("{}: not a table", where));
    }
    Rule rule;
    auto name = (*table)["name"].value<std::string>();
    if (!name) {
      core::throw_usage(fmt::format("{}: name is missing (a text)", where));
    }
    rule.name = *name;
    where = fmt::format("{}:{}: rule '{}'", source, line, rule.name);
    auto text = [&](std::string_view key, std::string fallback) {
      const auto* node = table->get(key);
      if (node == nullptr) {
        return fallback;
      }
      auto value = node->value<std::string>();
      if (!value) {
        core::throw_usage(fmt::format("{}: {} must be a text", where, key));
      }
      return *value;
    };
    auto integer = [&](std::string_view key, std::int64_t fallback) {
      const auto* node = table->get(key);
      if (node == nullptr) {
        return fallback;
      }
      auto value = node->value_exact<std::int64_t>();
      if (!value) {
        core::throw_usage(fmt::format("{}: {} must be a whole number", where, key));
      }
      return *value;
    };
    auto boolean = [&](std::string_view key, bool fallback) {
      const auto* node = table->get(key);
      if (node == nullptr) {
        return fallback;
      }
      auto value = node->value_exact<bool>();
      if (!value) {
        core::throw_usage(fmt::format("{}: {} must be true or false", where, key));
      }
      return *value;
    };
    static constexpr std::array<std::string_view, 12> k_keys{"name",
                                                             "scope",
                                                             "scope_value",
                                                             "resource",
                                                             "rate",
                                                             "requests_per_minute",
                                                             "algorithm",
                                                             "burst",
                                                             "enabled",
                                                             "shadow",
                                                             "priority",
                                                             "description"};
    for (const auto& [key, value] : *table) {
      if (std::find(k_keys.begin(), k_keys.end(), key.str()) == k_keys.end()) {
        core::throw_usage(fmt::format("{}: unknown key '{}'", where, key.str()));
      }
    }
    auto field = [&](std::string_view key) { return fmt::format("{}: {}", where, key); };
    rule.scope = parse_scope(text("scope", "ip"), field("scope"));
    rule.scope_value = text("scope_value", "");
    rule.resource = text("resource", "");
    if (table->contains("rate") && table->contains("requests_per_minute")) {
      core::throw_usage(
          fmt::format("{}: rate and requests_per_minute both given (give one)", where));
    }
    if (table->contains("requests_per_minute")) {
      auto per_minute = integer("requests_per_minute", 0);
      rule.rate = parse_rate(fmt::format("{}/1m", per_minute), field("requests_per_minute"));
    } else if (table->contains("rate")) {
      rule.rate = parse_rate(text("rate", ""), field("rate"));
    } else {
      core::throw_usage(fmt::format("{}: rate is missing (e.g. rate = \"100/60s\")", where));
    }
    rule.algorithm = parse_algorithm(text("algorithm", "fixed_window"), field("algorithm"));
    rule.burst = integer("burst", 0);
    rule.enabled = boolean("enabled", true);
    rule.shadow = boolean("shadow", false);
    rule.priority = integer("priority", 0);
    rule.description = text("description", "");
    validate(rule, file_labels(where));
    if (!names.insert(rule.name).second) {
      core::throw_usage(fmt::format("{}: name '{}' is used by an earlier rule", where, rule.name));
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::string format_rule_file(const std::vector<Rule>& rules) {
  std::string text =
      "# golfops limits rules: golfops limits diff FILE, golfops limits import FILE\n";
  // Keys in the order people read a rule, values quoted by toml++ (as a
  // one-key table: printing a bare toml::value trips a false -Warray-bounds
  // in toml++ 3.3 under GCC 12 at -O3).
  auto line = [](std::string_view key, auto value) {
    std::ostringstream out;
    out << toml::table{{key, std::move(value)}} << "\n";
    return out.str();
  };
  for (const auto& rule : rules) {
    text += "\n[[rule]]\n";
    text += line("name", rule.name);
    text += line("scope", std::string(scope_name(rule.scope)));
    if (!rule.scope_value.empty()) {
      text += line("scope_value", rule.scope_value);
    }
    text += line("resource", rule.resource);
    text += line("rate", format_rate(rule.rate));
    text += line("algorithm", std::string(algorithm_name(rule.algorithm)));
    if (rule.burst != 0) {
      text += line("burst", rule.burst);
    }
    if (!rule.enabled) {
      text += line("enabled", false);
    }
    if (rule.shadow) {
      text += line("shadow", true);
    }
    if (rule.priority != 0) {
      text += line("priority", rule.priority);
    }
    if (!rule.description.empty()) {
      text += line("description", rule.description);
    }
  }
  return text;
}

} // namespace golfops::commands::limits
