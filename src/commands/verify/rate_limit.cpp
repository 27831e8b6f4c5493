#include "commands/limits/bucket.hpp"
#include "commands/limits/limits.hpp"
#include "commands/limits/session.hpp"
#include "commands/verify/builtin.hpp"
#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>
#include <fmt/format.h>
#include <thread>

namespace golfops::commands::verify {
namespace {

using core::checks::Reason;

std::optional<std::int64_t> integer_header(const core::http::Response& response,
                                           std::string_view name) {
  auto value = response.header(name);
  if (!value) {
    return std::nullopt;
  }
  std::int64_t number = 0;
  auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (value->empty() || error != std::errc() || end != value->data() + value->size()) {
    return std::nullopt;
  }
  return number;
}

std::string shown_header(const core::http::Response& response, std::string_view name) {
  auto value = response.header(name);
  return value ? fmt::format("'{}'", excerpt(*value)) : std::string("missing");
}

// Deletes the verify client's buckets (state, stats, violations) of every
// published rule that counts by ip, so no trace of the burst stays and the
// next run starts full.
void reset_buckets(core::redis::Router& redis,
                   const std::string& prefix,
                   const std::vector<limits::Rule>& rules,
                   const std::string& value) {
  for (const auto& rule : rules) {
    if (rule.scope != limits::Scope::ip) {
      continue;
    }
    auto keys = limits::bucket_keys(prefix, rule, value);
    redis.command(keys.state, {"UNLINK", keys.state, keys.stats, keys.violations});
  }
}

struct ResetAfter {
  core::redis::Router& redis;
  const std::string& prefix;
  std::vector<limits::Rule> rules;
  std::string value;
  ~ResetAfter() {
    // Also when SIGINT or SIGTERM ends the burst: no trace of it stays.
    core::CancellationShield shield;
    bool interrupted = std::uncaught_exceptions() > 0;
    try {
      reset_buckets(redis, prefix, rules, value);
      // The request under way when the signal came is still being served
      // and counts after this reset: clear again once it has landed.
      for (int settle = 0; interrupted && settle < 10; ++settle) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        reset_buckets(redis, prefix, rules, value);
      }
    } catch (...) { // NOLINT(bugprone-empty-catch): the run's result stands; keys expire anyway
    }
  }
};

// One burst of limit + 1 requests as the verify client, judged against the
// rule and the bucket in Redis.
struct Burst {
  const Settings& settings;
  const Settings::RateLimit& wanted;
  core::Context& context;
  const limits::Rule& rule;
  core::redis::Router& redis;
  const std::string& prefix;
  const std::string& client_ip;
  const std::string& describe;
};

Outcome burst_past_limit(const Burst& burst, Outcome outcome) {
  core::http::Headers headers;
  if (!burst.wanted.client_ip_header.empty()) {
    headers.emplace_back(burst.wanted.client_ip_header, burst.client_ip);
  }
  if (!burst.wanted.body.empty()) {
    headers.emplace_back("Content-Type", burst.wanted.content_type);
  }
  auto send = [&] {
    return fetch(
        burst.settings, burst.wanted.path, burst.wanted.method, headers, burst.wanted.body);
  };
  for (std::int64_t sent = 1; sent <= burst.rule.rate.limit; ++sent) {
    burst.context.cancel.check();
    auto response = send();
    if (failed_transport(outcome, response)) {
      return outcome;
    }
    if (response.status == 429) {
      fail(outcome,
           Reason::status,
           fmt::format("request {} of {} was refused with 429; {} allows {}",
                       sent,
                       burst.rule.rate.limit + 1,
                       burst.describe,
                       burst.rule.rate.limit));
      return outcome;
    }
    if (response.status >= 400) {
      fail(outcome,
           Reason::status,
           fmt::format("request {} answered {}, expected success before the limit: {}",
                       sent,
                       response.status,
                       excerpt(response.body)));
      return outcome;
    }
    if (sent == 1) {
      auto limit = integer_header(response, "X-RateLimit-Limit");
      auto remaining = integer_header(response, "X-RateLimit-Remaining");
      if (limit != burst.rule.rate.limit || remaining != burst.rule.rate.limit - 1) {
        fail(outcome,
             Reason::header,
             fmt::format("first request: expected X-RateLimit-Limit {} and "
                         "X-RateLimit-Remaining {} ({}), got {} and {}",
                         burst.rule.rate.limit,
                         burst.rule.rate.limit - 1,
                         burst.describe,
                         shown_header(response, "X-RateLimit-Limit"),
                         shown_header(response, "X-RateLimit-Remaining")));
        return outcome;
      }
    }
  }
  auto response = send();
  if (failed_transport(outcome, response)) {
    return outcome;
  }
  if (response.status != 429) {
    fail(outcome,
         Reason::status,
         fmt::format("expected 429 after {} requests ({}), got {}",
                     burst.rule.rate.limit,
                     burst.describe,
                     response.status));
    return outcome;
  }
  std::vector<std::string> problems;
  auto limit = integer_header(response, "X-RateLimit-Limit");
  if (limit != burst.rule.rate.limit) {
    problems.push_back(fmt::format("X-RateLimit-Limit {} (expected {})",
                                   shown_header(response, "X-RateLimit-Limit"),
                                   burst.rule.rate.limit));
  }
  if (integer_header(response, "X-RateLimit-Remaining") != 0) {
    problems.push_back(fmt::format("X-RateLimit-Remaining {} (expected 0)",
                                   shown_header(response, "X-RateLimit-Remaining")));
  }
  auto period_s = (burst.rule.rate.period_ms + 999) / 1000;
  // sliding_window may refuse up to a tenth of the period early, so its
  // waits run up to 1.1 periods; one second more for rounding.
  auto longest = static_cast<std::int64_t>(std::ceil(static_cast<double>(period_s) * 1.1)) + 1;
  auto reset = integer_header(response, "X-RateLimit-Reset");
  if (!reset || *reset < 0 || *reset > longest) {
    problems.push_back(fmt::format("X-RateLimit-Reset {} (expected seconds, at most {})",
                                   shown_header(response, "X-RateLimit-Reset"),
                                   longest));
  }
  auto retry_after = integer_header(response, "Retry-After");
  // What the bucket itself says, looked at without counting: the wait a
  // service should announce.
  auto bucket = limits::run_script(burst.redis, burst.prefix, burst.rule, burst.client_ip, 0);
  if (bucket.allowed) {
    // Nothing counted where golfops keeps the rule's buckets: the
    // service limits somewhere else (its own counters, another
    // prefix), so its numbers cannot be checked against the rule's.
    fail(outcome,
         Reason::query,
         fmt::format("429 after {} requests, but the bucket in Redis ({}) would let the "
                     "next request pass: the service does not count in golfops' buckets "
                     "(limits.key_prefix "
                     "'{}')",
                     burst.rule.rate.limit,
                     limits::bucket_keys(burst.prefix, burst.rule, burst.client_ip).state,
                     burst.prefix));
    return outcome;
  }
  if (!retry_after) {
    problems.push_back(fmt::format("Retry-After {} (expected whole seconds)",
                                   shown_header(response, "Retry-After")));
  } else if (!bucket.allowed && bucket.retry_after_ms > 0) {
    auto expected = (bucket.retry_after_ms + 999) / 1000;
    if (std::llabs(*retry_after - expected) > 2) {
      problems.push_back(fmt::format("Retry-After {} (the bucket in Redis allows the next "
                                     "request in {} s)",
                                     *retry_after,
                                     expected));
    }
  } else if (*retry_after < 1 || *retry_after > longest) {
    problems.push_back(
        fmt::format("Retry-After {} (expected 1 to {} seconds)", *retry_after, longest));
  }
  if (!problems.empty()) {
    fail(outcome,
         Reason::header,
         fmt::format(
             "429 after {} requests, but {}", burst.rule.rate.limit, fmt::join(problems, "; ")));
    return outcome;
  }
  outcome.status = Status::pass;
  outcome.message = fmt::format("429 after {} requests ({}), Retry-After {} s, headers agree",
                                burst.rule.rate.limit,
                                burst.describe,
                                *retry_after);
  return outcome;
}

// Clock-aligned windows (fixed_window, and sliding_window's weighted pair)
// count differently when a window starts during the burst: a fixed window
// admits again, a sliding one may refuse one early.
bool window_turned(const limits::Rule& rule, std::int64_t from_ms, std::int64_t to_ms) {
  if (rule.algorithm != limits::Algorithm::fixed_window &&
      rule.algorithm != limits::Algorithm::sliding_window) {
    return false;
  }
  return from_ms / rule.rate.period_ms != to_ms / rule.rate.period_ms;
}

} // namespace

Outcome check_rate_limit(const Settings& settings, core::Context& context) {
  const auto& wanted = settings.rate_limit;
  auto outcome = outcome_for(Builtin::rate_limit, settings, wanted.path);
  limits::LimitsOptions options;
  options.key_prefix = limits::key_prefix_from(context.config);
  std::optional<limits::Rule> rule;
  try {
    limits::Session session(options, context);
    rule = session.store.find(wanted.rule);
  } catch (const core::Cancelled&) {
    throw;
  } catch (const core::Error& error) {
    fail_with(outcome, error);
    return outcome;
  }
  if (!rule) {
    fail(outcome,
         Reason::query,
         fmt::format("rule '{}' is not in PostgreSQL (golfops limits import; or set "
                     "verify.rate_limit.rule)",
                     wanted.rule));
    return outcome;
  }
  if (rule->scope != limits::Scope::ip) {
    core::throw_usage(fmt::format("verify.rate_limit.rule: '{}' counts by {}; verify bursts as one "
                                  "dedicated client address, so pick a rule that counts by ip",
                                  rule->name,
                                  limits::scope_name(rule->scope)));
  }
  if (rule->rate.limit + 1 > wanted.max_requests) {
    core::throw_usage(fmt::format("verify.rate_limit.rule: '{}' allows {}, more than "
                                  "verify.rate_limit.max_requests ({}) requests to burst past",
                                  rule->name,
                                  limits::format_rate(rule->rate),
                                  wanted.max_requests));
  }
  auto client_ip = limits::canonical_ip(wanted.client_ip);
  if (!rule->scope_value.empty() && limits::canonical_ip(rule->scope_value) != client_ip) {
    core::throw_usage(fmt::format("verify.rate_limit.client_ip: '{}', but rule '{}' counts only {}",
                                  wanted.client_ip,
                                  rule->name,
                                  rule->scope_value));
  }
  if (!rule->enabled || rule->shadow) {
    fail(outcome,
         Reason::query,
         fmt::format("rule '{}' is {}: nothing to verify enforces it",
                     rule->name,
                     rule->enabled ? "in shadow mode" : "disabled"));
    return outcome;
  }
  auto describe = fmt::format("rule {} ({})", rule->name, limits::format_rate(rule->rate));
  try {
    auto redis = limits::connect_redis(context);
    auto published = limits::read_published(redis, options.key_prefix);
    auto rules = published ? published->rules : std::vector<limits::Rule>{};
    rules.push_back(*rule);
    reset_buckets(redis, options.key_prefix, rules, client_ip);
    ResetAfter reset_after{redis, options.key_prefix, rules, client_ip};

    Burst burst{settings, wanted, context, *rule, redis, options.key_prefix, client_ip, describe};
    auto began_ms = limits::run_script(redis, options.key_prefix, *rule, client_ip, 0).now_ms;
    auto result = burst_past_limit(burst, outcome);
    auto ended_ms = limits::run_script(redis, options.key_prefix, *rule, client_ip, 0).now_ms;
    if (result.status != Status::pass && window_turned(*rule, began_ms, ended_ms)) {
      // Not the service's fault: run it once more inside one window.
      reset_buckets(redis, options.key_prefix, rules, client_ip);
      result = burst_past_limit(burst, outcome);
    }
    outcome = std::move(result);
  } catch (const core::Cancelled&) {
    throw;
  } catch (const core::Error& error) {
    fail_with(outcome, error);
  }
  return outcome;
}

} // namespace golfops::commands::verify
