#include "commands/verify/verify.hpp"
#include "core/checks/conditions.hpp"
#include "core/config/toml_document.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/http/client.hpp"
#include "core/load/schedule.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace golfops::commands::verify {
namespace {

using core::config::Config;

constexpr std::array<std::pair<std::string_view, Builtin>, 11> k_builtins{{
    {"health", Builtin::health},
    {"ready", Builtin::ready},
    {"metrics", Builtin::metrics},
    {"headers", Builtin::headers},
    {"version", Builtin::version},
    {"tls", Builtin::tls},
    {"migrations", Builtin::migrations},
    {"rules", Builtin::rules},
    {"rate_limit", Builtin::rate_limit},
    {"latency", Builtin::latency},
    {"backup", Builtin::backup},
}};

std::string label(const Config& config, std::string_view key) {
  return core::config::value_label(config.value(key), key);
}

// A list key's items; from an environment variable or flag, comma-separated.
std::vector<std::string> items(const Config& config, std::string_view key) {
  const auto& value = config.value(key);
  if (!value.items.empty() || value.text.empty()) {
    return value.items;
  }
  std::vector<std::string> parts;
  for (auto& part : core::split(value.text, ',')) {
    auto first = part.find_first_not_of(' ');
    auto last = part.find_last_not_of(' ');
    if (first != std::string::npos) {
      parts.push_back(part.substr(first, last - first + 1));
    }
  }
  return parts;
}

std::vector<Builtin> builtins(const std::vector<std::string>& names, std::string_view field) {
  std::vector<Builtin> checks;
  for (const auto& name : names) {
    auto check = parse_builtin(name);
    if (!check) {
      std::vector<std::string_view> known;
      for (const auto& [spelling, _] : k_builtins) {
        known.push_back(spelling);
      }
      auto suggestion = core::closest_match(name, known);
      core::throw_usage(fmt::format(
          "{}: unknown check '{}'{} (expected some of: {})",
          field,
          name,
          suggestion.empty() ? std::string() : fmt::format(", did you mean '{}'?", suggestion),
          fmt::join(known, ", ")));
    }
    if (std::find(checks.begin(), checks.end(), *check) == checks.end()) {
      checks.push_back(*check);
    }
  }
  return checks;
}

std::vector<core::checks::Condition>
conditions(const Config& config, std::string_view key, std::string_view fallback) {
  std::vector<core::checks::Condition> parsed;
  auto texts = items(config, key);
  if (!config.is_set(key)) {
    texts = {std::string(fallback)};
  }
  for (const auto& text : texts) {
    parsed.push_back(core::checks::parse_condition(text, label(config, key)));
  }
  return parsed;
}

// "/health": a path on the base URL.
std::string path(const Config& config, std::string_view key) {
  const auto& text = config.text(key);
  if (text.empty() || text.front() != '/' || !core::printable(text) ||
      text.find(' ') != std::string::npos) {
    core::throw_usage(fmt::format("{}: invalid path '{}' (expected one starting with /, no spaces)",
                                  label(config, key),
                                  text));
  }
  return text;
}

std::int64_t
bounded(const Config& config, std::string_view key, std::int64_t low, std::int64_t high) {
  auto value = config.integer(key);
  if (value < low || value > high) {
    core::throw_usage(fmt::format(
        "{}: {} is out of range (expected {} to {})", label(config, key), value, low, high));
  }
  return value;
}

// "20%" as 0.2.
double fraction(const Config& config, std::string_view key) {
  const auto& text = config.text(key);
  double percent = -1;
  auto number = std::string_view(text).substr(0, text.empty() ? 0 : text.size() - 1);
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), percent);
  if (!text.ends_with('%') || number.empty() || error != std::errc() ||
      end != number.data() + number.size() || !std::isfinite(percent) || percent < 0 ||
      percent > 1000) {
    core::throw_usage(fmt::format(
        "{}: invalid value '{}' (expected a percentage such as 20%)", label(config, key), text));
  }
  return percent / 100.0;
}

// RFC 5737 and RFC 3849: addresses reserved for documentation.
bool documentation_address(const std::string& text) {
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    auto address = ntohl(v4.s_addr);
    auto network = address & 0xffffff00U;
    return network == 0xc0000200U || network == 0xc6336400U || network == 0xcb007100U;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return v6.s6_addr[0] == 0x20 && v6.s6_addr[1] == 0x01 && v6.s6_addr[2] == 0x0d &&
           v6.s6_addr[3] == 0xb8;
  }
  return false;
}

std::vector<std::pair<std::string, std::vector<std::string>>> default_security_headers() {
  return {
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"DENY", "SAMEORIGIN"}},
      {"Referrer-Policy",
       {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}},
      {"Content-Security-Policy", {"*"}},
  };
}

} // namespace

std::string_view to_string(Builtin check) {
  for (const auto& [name, candidate] : k_builtins) {
    if (candidate == check) {
      return name;
    }
  }
  return "health";
}

std::optional<Builtin> parse_builtin(std::string_view name) {
  for (const auto& [spelling, check] : k_builtins) {
    if (spelling == name) {
      return check;
    }
  }
  return std::nullopt;
}

const std::vector<Builtin>& every_builtin() {
  static const std::vector<Builtin> k_every = [] {
    std::vector<Builtin> every;
    for (const auto& [_, check] : k_builtins) {
      every.push_back(check);
    }
    return every;
  }();
  return k_every;
}

std::string_view to_string(Status status) {
  switch (status) {
  case Status::pass:
    return "pass";
  case Status::fail:
    return "fail";
  case Status::skip:
    return "skip";
  }
  return "fail";
}

std::vector<Builtin> parse_builtins(const std::vector<std::string>& names, std::string_view field) {
  return builtins(names, field);
}

std::string base_url_from(std::string_view text, std::string_view field) {
  core::http::require_http_url(text, field);
  if (core::http::has_credentials(text)) {
    core::throw_usage(fmt::format("{}: credentials in the URL are refused (they would show in "
                                  "process lists); send them as a header from a suite file: "
                                  "headers = {{ Authorization = \"...\" }}",
                                  field));
  }
  std::string url(text);
  while (url.ends_with('/')) {
    url.pop_back();
  }
  if (url.find('?') != std::string::npos || url.find('#') != std::string::npos) {
    core::throw_usage(fmt::format("{}: '{}' has a query or fragment (expected "
                                  "scheme://host[:port][/prefix])",
                                  field,
                                  core::redact_url(text)));
  }
  return url;
}

Settings settings_from(const Config& config) {
  Settings settings;
  if (!config.text("verify.base_url").empty()) {
    settings.base_url =
        base_url_from(config.text("verify.base_url"), label(config, "verify.base_url"));
  }
  settings.only = builtins(items(config, "verify.checks"), label(config, "verify.checks"));
  settings.skip = builtins(items(config, "verify.skip"), label(config, "verify.skip"));
  settings.timeout = config.duration("verify.timeout");
  if (settings.timeout.count() <= 0) {
    core::throw_usage(fmt::format("{}: must be more than 0", label(config, "verify.timeout")));
  }
  settings.ca_file = config.text("verify.ca_file");
  settings.health = {path(config, "verify.health.path"),
                     conditions(config, "verify.health.conditions", "$.status == \"ok\"")};
  settings.ready = {path(config, "verify.ready.path"),
                    conditions(config, "verify.ready.conditions", "$.status == \"ready\"")};
  settings.metrics.path = path(config, "verify.metrics.path");
  settings.metrics.format = config.text("verify.metrics.format");
  settings.metrics.required = items(config, "verify.metrics.required");
  settings.headers.path = path(config, "verify.headers.path");
  if (config.is_set("verify.headers.required")) {
    for (const auto& item : config.value("verify.headers.required").items) {
      auto colon = item.find(": ");
      auto name = item.substr(0, colon);
      core::http::require_header_name(name, label(config, "verify.headers.required"));
      auto allowed = core::split(item.substr(colon + 2), '|');
      if (allowed.empty() || std::any_of(allowed.begin(), allowed.end(), [](const auto& value) {
            return value.empty();
          })) {
        core::throw_usage(
            fmt::format("{}: {}: empty value (expected 'VALUE', 'VALUE|OTHER' or '*')",
                        label(config, "verify.headers.required"),
                        name));
      }
      if (!core::printable(item.substr(colon + 2))) {
        // A header value is one printable line; CR LF would also split the
        // failure message it is shown in.
        core::throw_usage(fmt::format("{}: {}: not one line of printable text",
                                      label(config, "verify.headers.required"),
                                      name));
      }
      settings.headers.required.emplace_back(name, allowed);
    }
  } else {
    settings.headers.required = default_security_headers();
  }
  settings.headers.hsts_min_age_seconds =
      config.duration("verify.headers.hsts_min_age").count() / 1000;
  settings.version.path = path(config, "verify.version.path");
  settings.version.field = config.text("verify.version.field");
  if (settings.version.field != "body" && !settings.version.field.starts_with("$.")) {
    core::throw_usage(fmt::format("{}: invalid value '{}' (expected a JSON path like $.version, or "
                                  "body)",
                                  label(config, "verify.version.field"),
                                  settings.version.field));
  }
  settings.version.expect = config.text("verify.version.expect");
  settings.min_certificate_days = bounded(config, "verify.tls.min_days", 0, 3650);

  auto& rate_limit = settings.rate_limit;
  rate_limit.rule = config.text("verify.rate_limit.rule");
  rate_limit.method = config.text("verify.rate_limit.method");
  core::checks::require_method(rate_limit.method, label(config, "verify.rate_limit.method"));
  rate_limit.path = path(config, "verify.rate_limit.path");
  rate_limit.body = config.text("verify.rate_limit.body");
  rate_limit.client_ip = config.text("verify.rate_limit.client_ip");
  // Verify deletes this address's buckets before and after its burst: an
  // address no real client has, or it would reset someone's limits.
  if (!documentation_address(rate_limit.client_ip)) {
    core::throw_usage(fmt::format("{}: '{}' is not a documentation address (expected one in "
                                  "192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32, "
                                  "which no real client has: verify resets its buckets)",
                                  label(config, "verify.rate_limit.client_ip"),
                                  rate_limit.client_ip));
  }
  rate_limit.client_ip_header = config.text("verify.rate_limit.client_ip_header");
  core::http::require_header_name(rate_limit.client_ip_header,
                                  label(config, "verify.rate_limit.client_ip_header"));
  rate_limit.max_requests = bounded(config, "verify.rate_limit.max_requests", 1, 100000);

  auto& latency = settings.latency;
  latency.path = path(config, "verify.latency.path");
  latency.rate = core::load::parse_rate(config.text("verify.latency.rate"),
                                        label(config, "verify.latency.rate"));
  latency.duration = config.duration("verify.latency.duration");
  if (latency.duration.count() <= 0 || latency.duration > std::chrono::minutes(10)) {
    core::throw_usage(fmt::format("{}: '{}' is out of range (expected more than 0, at most 10m: "
                                  "a burst, not a load test)",
                                  label(config, "verify.latency.duration"),
                                  config.text("verify.latency.duration")));
  }
  latency.connections = static_cast<int>(bounded(config, "verify.latency.connections", 1, 1000));
  auto slo = items(config, "verify.latency.slo");
  if (!config.is_set("verify.latency.slo")) {
    slo = {"p95<200ms", "error_rate<1%"};
  }
  for (const auto& text : slo) {
    latency.slo.push_back(core::load::parse_threshold(text, label(config, "verify.latency.slo")));
  }
  settings.backup_max_age = config.duration("verify.backup.max_age");
  settings.backup_configured = config.is_set("backup.dir");
  // libpq's PG* variables can name the database without database.url.
  const auto& environment = config.environment();
  settings.database_configured = config.is_set("database.url") || environment.contains("PGHOST") ||
                                 environment.contains("PGDATABASE") ||
                                 environment.contains("PGSERVICE");
  settings.redis_configured = config.is_set("redis.url");
  settings.tolerances.latency_increase = fraction(config, "verify.baseline.latency_increase");
  settings.tolerances.latency_slack_ms =
      static_cast<double>(config.duration("verify.baseline.latency_slack").count());
  settings.tolerances.error_rate_increase = fraction(config, "verify.baseline.error_rate_increase");
  return settings;
}

} // namespace golfops::commands::verify
