#include "commands/limits/bucket.hpp"

#include "commands/limits/scripts.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <fmt/format.h>

namespace golfops::commands::limits {

BucketKeys bucket_keys(std::string_view prefix, const Rule& rule, std::string_view value) {
  auto state = fmt::format("{}{}:{{{}:{}}}", prefix, rule.name, scope_name(rule.scope), value);
  return {state, state + ":s", state + ":v"};
}

std::optional<BucketName> parse_bucket_key(std::string_view prefix, std::string_view key) {
  if (!key.starts_with(prefix)) {
    return std::nullopt;
  }
  key.remove_prefix(prefix.size());
  // Rule names hold no brace: the first ":{" ends the name.
  auto open = key.find(":{");
  if (open == std::string_view::npos || open == 0) {
    return std::nullopt;
  }
  BucketName name;
  name.rule = std::string(key.substr(0, open));
  auto rest = key.substr(open + 2);
  if (rest.ends_with("}:s")) {
    name.kind = BucketName::Kind::stats;
    rest.remove_suffix(3);
  } else if (rest.ends_with("}:v")) {
    name.kind = BucketName::Kind::violations;
    rest.remove_suffix(3);
  } else if (rest.ends_with("}")) {
    rest.remove_suffix(1);
  } else {
    return std::nullopt;
  }
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  name.scope = std::string(rest.substr(0, colon));
  name.value = std::string(rest.substr(colon + 1));
  return name;
}

std::string bucket_pattern(std::string_view prefix, std::string_view rule) {
  // SCAN patterns treat * ? [ ] and \ specially: escape them in the prefix.
  std::string escaped;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      escaped += '\\';
    }
    escaped += c;
  }
  return rule.empty() ? escaped + "*:{*" : fmt::format("{}{}:{{*", escaped, rule);
}

std::string display_value(std::string_view scope, std::string_view value) {
  if (scope != "api_key" || value.empty()) {
    return std::string(value);
  }
  // Four characters of a short key would be most of it.
  return (value.size() <= 12 ? std::string() : std::string(value.substr(0, 4))) + "…" +
         core::sha256_hex(value).substr(0, 4);
}

std::string canonical_ip(std::string_view text) {
  std::string copy(text);
  in6_addr v6{};
  in_addr v4{};
  char buffer[INET6_ADDRSTRLEN] = {};
  if (::inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    return ::inet_ntop(AF_INET, &v4, buffer, sizeof buffer);
  }
  if (::inet_pton(AF_INET6, copy.c_str(), &v6) != 1) {
    return copy;
  }
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
    return ::inet_ntop(AF_INET, &v4, buffer, sizeof buffer);
  }
  return ::inet_ntop(AF_INET6, &v6, buffer, sizeof buffer);
}

std::string_view scope_flag(Scope scope) {
  return scope == Scope::ip ? "--ip" : scope == Scope::user ? "--user" : "--api-key";
}

Match match(const Rule& rule, const Request& request) {
  if (!rule.resource.empty() && rule.resource != request.resource) {
    return {false, "", fmt::format("for resource {}", rule.resource)};
  }
  if (rule.scope == Scope::global) {
    return {true, "", ""};
  }
  const auto& value = rule.scope == Scope::ip     ? request.ip
                      : rule.scope == Scope::user ? request.user
                                                  : request.api_key;
  auto flag = scope_flag(rule.scope);
  if (value.empty()) {
    return {false, "", fmt::format("counts by {}: needs {}", scope_name(rule.scope), flag)};
  }
  bool same = rule.scope == Scope::ip ? canonical_ip(rule.scope_value) == canonical_ip(value)
                                      : rule.scope_value == value;
  if (!rule.scope_value.empty() && !same) {
    return {false,
            "",
            fmt::format("only for {} {}",
                        scope_name(rule.scope),
                        display_value(scope_name(rule.scope), rule.scope_value))};
  }
  return {true, value, ""};
}

std::int64_t redis_integer(std::string_view text, std::string_view where) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    core::throw_failed(
        fmt::format("Redis: {} holds '{}', not a number", where, text.substr(0, 40)));
  }
  return value;
}

std::vector<std::string> script_arguments(const Rule& rule, std::int64_t cost) {
  return {std::to_string(rule.rate.limit),
          std::to_string(rule.rate.period_ms),
          std::to_string(cost),
          rule.shadow ? "1" : "0",
          std::to_string(rule.burst)};
}

Decision decision_from(const core::redis::Reply& reply) {
  if (reply.type != core::redis::Reply::Type::array || reply.elements.size() < 9) {
    core::throw_failed("Redis: a limits script answered something other than its 9 numbers");
  }
  auto number = [&](std::size_t index) { return reply.elements[index].integer; };
  Decision decision;
  decision.allowed = number(0) == 1;
  decision.limit = number(1);
  decision.remaining = number(2);
  decision.reset_ms = number(5);
  decision.retry_after_ms = number(6);
  decision.exceeded = number(7) == 1;
  decision.now_ms = number(8);
  return decision;
}

Decision run_script(core::redis::Router& router,
                    std::string_view prefix,
                    const Rule& rule,
                    std::string_view value,
                    std::int64_t cost) {
  auto keys = bucket_keys(prefix, rule, value);
  return decision_from(router.eval(script_for(rule.algorithm),
                                   {keys.state, keys.stats, keys.violations},
                                   script_arguments(rule, cost)));
}

} // namespace golfops::commands::limits
