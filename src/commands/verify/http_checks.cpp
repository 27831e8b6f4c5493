#include "commands/verify/builtin.hpp"
#include "core/checks/conditions.hpp"
#include "core/error.hpp"
#include "core/load/plan.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace golfops::commands::verify {
namespace {

using core::checks::Reason;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

bool expect_status(Outcome& outcome, const core::http::Response& response, long status) {
  if (response.status == status) {
    return true;
  }
  fail(outcome,
       Reason::status,
       fmt::format("expected status {}, got {}{}",
                   status,
                   response.status,
                   response.body.empty() ? "" : ": " + excerpt(response.body)));
  return false;
}

// "max-age=31536000; includeSubDomains" -> 31536000
std::optional<std::int64_t> max_age(std::string_view value) {
  for (auto& part : core::split(value, ';')) {
    auto directive = trim(part);
    if (lower(directive).starts_with("max-age=")) {
      auto number = std::string_view(directive).substr(8);
      if (number.size() >= 2 && number.front() == '"' && number.back() == '"') {
        number = number.substr(1, number.size() - 2);
      }
      std::int64_t seconds = 0;
      auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), seconds);
      if (error == std::errc() && end == number.data() + number.size()) {
        return seconds;
      }
    }
  }
  return std::nullopt;
}

// What a browser acts on for header `name`: every value of every line
// carrying it (two conflicting X-Frame-Options lines are both judged),
// except Referrer-Policy, a fallback list whose last known token wins.
std::vector<std::string> effective_values(const core::http::Response& response,
                                          std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [header, value] : response.headers) {
    if (!core::iequals(header, name)) {
      continue;
    }
    for (const auto& token : core::split(value, ',')) {
      if (auto text = trim(token); !text.empty()) {
        values.push_back(text);
      }
    }
  }
  if (core::iequals(name, "Referrer-Policy") && values.size() > 1) {
    values.erase(values.begin(), values.end() - 1);
  }
  return values;
}

} // namespace

Outcome check_endpoint(Builtin check, const Settings& settings) {
  const auto& endpoint = check == Builtin::health ? settings.health : settings.ready;
  auto outcome = outcome_for(check, settings, endpoint.path);
  auto response = fetch(settings, endpoint.path);
  if (failed_transport(outcome, response) || !expect_status(outcome, response, 200)) {
    return outcome;
  }
  for (const auto& condition : endpoint.conditions) {
    auto verdict = core::checks::evaluate(condition, response);
    if (!verdict.ok) {
      fail(outcome, verdict.reason, verdict.message);
      return outcome;
    }
  }
  outcome.status = Status::pass;
  outcome.message = fmt::format("HTTP 200 in {:.1f} ms", response.seconds * 1000);
  return outcome;
}

Outcome check_metrics(const Settings& settings) {
  auto outcome = outcome_for(Builtin::metrics, settings, settings.metrics.path);
  auto response = fetch(settings, settings.metrics.path);
  if (failed_transport(outcome, response) || !expect_status(outcome, response, 200)) {
    return outcome;
  }
  auto type = lower(response.header("Content-Type").value_or(""));
  if (settings.metrics.format == "json") {
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
      fail(outcome,
           Reason::body,
           fmt::format("expected a JSON object, got: {}", excerpt(response.body)));
      return outcome;
    }
    for (const auto& key : settings.metrics.required) {
      if (!json.contains(key)) {
        fail(outcome, Reason::body, fmt::format("expected key '{}' in the JSON metrics", key));
        return outcome;
      }
    }
    outcome.status = Status::pass;
    outcome.message = fmt::format("JSON object with {} keys", json.size());
    return outcome;
  }
  if (!type.starts_with("text/plain") && !type.starts_with("application/openmetrics-text")) {
    fail(outcome,
         Reason::header,
         fmt::format("expected Content-Type text/plain (Prometheus text format), got '{}'",
                     type.empty() ? "none" : type));
    return outcome;
  }
  if (auto problem = prometheus_problem(response.body, settings.metrics.required);
      !problem.empty()) {
    fail(outcome, Reason::body, problem);
    return outcome;
  }
  auto lines = core::split(response.body, '\n');
  auto samples = std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
    return !line.empty() && line.front() != '#';
  });
  outcome.status = Status::pass;
  outcome.message = fmt::format("Prometheus text, {} samples", samples);
  return outcome;
}

Outcome check_headers(const Settings& settings) {
  auto outcome = outcome_for(Builtin::headers, settings, settings.headers.path);
  auto response = fetch(settings, settings.headers.path);
  if (failed_transport(outcome, response)) {
    return outcome;
  }
  std::vector<std::string> problems;
  for (const auto& [name, allowed] : settings.headers.required) {
    bool any = allowed.size() == 1 && allowed.front() == "*";
    auto wanted = any ? std::string("any value") : fmt::format("{}", fmt::join(allowed, " or "));
    auto values = effective_values(response, name);
    if (values.empty()) {
      problems.push_back(fmt::format("{} missing (expected {})", name, wanted));
      continue;
    }
    for (const auto& value : values) {
      if (!any && std::none_of(allowed.begin(), allowed.end(), [&](const std::string& candidate) {
            return core::iequals(candidate, value);
          })) {
        problems.push_back(fmt::format("{} is '{}' (expected {})", name, excerpt(value), wanted));
        break;
      }
    }
  }
  bool https = settings.base_url.starts_with("https://");
  if (https) {
    auto hsts = response.header("Strict-Transport-Security");
    auto seconds = hsts ? max_age(*hsts) : std::nullopt;
    if (!hsts) {
      problems.push_back(fmt::format("Strict-Transport-Security missing (expected max-age of at "
                                     "least {})",
                                     settings.headers.hsts_min_age_seconds));
    } else if (!seconds || *seconds < settings.headers.hsts_min_age_seconds) {
      problems.push_back(fmt::format("Strict-Transport-Security is '{}' (expected max-age of at "
                                     "least {})",
                                     excerpt(*hsts),
                                     settings.headers.hsts_min_age_seconds));
    }
  }
  if (!problems.empty()) {
    fail(outcome, Reason::header, fmt::format("{}", fmt::join(problems, "; ")));
    return outcome;
  }
  outcome.status = Status::pass;
  outcome.message = fmt::format("{} headers as required{}",
                                settings.headers.required.size() + (https ? 1 : 0),
                                https ? "" : " (HSTS is checked over https only)");
  return outcome;
}

Outcome check_version(const Settings& settings) {
  auto outcome = outcome_for(Builtin::version, settings, settings.version.path);
  auto response = fetch(settings, settings.version.path);
  if (failed_transport(outcome, response) || !expect_status(outcome, response, 200)) {
    return outcome;
  }
  if (settings.version.field == "body") {
    auto seen = trim(response.body);
    while (!seen.empty() && (seen.back() == '\n' || seen.back() == '\r')) {
      seen.pop_back();
    }
    if (seen != settings.version.expect) {
      fail(outcome,
           Reason::body,
           fmt::format("expected version '{}', got '{}'", settings.version.expect, excerpt(seen)));
      return outcome;
    }
  } else {
    core::checks::Condition condition;
    condition.text = fmt::format("{} == \"{}\"", settings.version.field, settings.version.expect);
    condition.subject = settings.version.field;
    condition.op = core::checks::Operator::equal;
    condition.expected = settings.version.expect;
    auto verdict = core::checks::evaluate(condition, response);
    if (!verdict.ok) {
      fail(outcome, verdict.reason, verdict.message);
      return outcome;
    }
  }
  outcome.status = Status::pass;
  outcome.message = fmt::format("version {}", settings.version.expect);
  return outcome;
}

Outcome check_tls(const Settings& settings, core::Context& context) {
  auto [origin, target] = core::load::split_url(settings.base_url + "/", "--base-url");
  core::checks::CheckSpec spec;
  spec.name = "tls";
  spec.type = core::checks::CheckType::tls;
  spec.address = origin.host.find(':') != std::string::npos
                     ? fmt::format("[{}]:{}", origin.host, origin.port)
                     : fmt::format("{}:{}", origin.host, origin.port);
  spec.ca_file = settings.ca_file;
  spec.timeout = settings.timeout;
  spec.min_certificate_days = settings.min_certificate_days;
  auto outcome = outcome_of(core::checks::run_check(spec, context.config), "tls");
  outcome.target = spec.address;
  return outcome;
}

} // namespace golfops::commands::verify
