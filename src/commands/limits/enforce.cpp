#include "commands/limits/scripts.hpp"
#include "commands/limits/session.hpp"
#include "core/error.hpp"

#include <fmt/format.h>

namespace golfops::commands::limits {
namespace {

std::int64_t seconds_up(std::int64_t milliseconds) {
  return (milliseconds + 999) / 1000;
}

Revision published_rules(core::redis::Router& redis, const LimitsOptions& options) {
  auto published = read_published(redis, options.key_prefix);
  if (!published) {
    core::throw_failed(fmt::format("Redis at {} holds no published rules (under {}): run golfops "
                                   "limits publish",
                                   redis.seed().address(),
                                   rules_key(options.key_prefix)));
  }
  return std::move(*published);
}

CheckResult evaluate(const LimitsOptions& options, core::Context& context, std::int64_t cost) {
  auto redis = connect_redis(context);
  auto published = published_rules(redis, options);
  CheckResult result;
  result.counted = cost > 0;
  result.request = options.request;
  result.revision = published.number;
  for (const auto& rule : published.rules) {
    RuleCheck check{rule, match(rule, options.request), std::nullopt};
    if (check.match.applies) {
      check.decision = run_script(redis, options.key_prefix, rule, check.match.value, cost);
    }
    result.rules.push_back(std::move(check));
  }
  decide(result);
  return result;
}

} // namespace

void decide(CheckResult& result) {
  result.allowed = true;
  result.retry_after_ms = 0;
  result.decider.reset();
  result.headers.clear();
  // The highest-priority enforced rule that denies decides; when none
  // does, the enforced rule with the least left (the one a client meets
  // first). Shadow rules never decide.
  for (std::size_t index = 0; index < result.rules.size(); ++index) {
    const auto& check = result.rules[index];
    if (!check.decision || check.rule.shadow) {
      continue;
    }
    if (!check.decision->allowed) {
      result.allowed = false;
      result.decider = index;
      break;
    }
    if (!result.decider ||
        check.decision->remaining < result.rules[*result.decider].decision->remaining) {
      result.decider = index;
    }
  }
  if (!result.decider) {
    return;
  }
  const auto& rule = result.rules[*result.decider].rule;
  const auto& decision = *result.rules[*result.decider].decision;
  auto reset = seconds_up(decision.reset_ms);
  // The policy is the rule's rate (for gcra too, whose script counts
  // `remaining` down from the burst): a client pacing itself by the header
  // must not slow to the burst per period.
  result.headers = {
      {"X-RateLimit-Limit", std::to_string(rule.rate.limit)},
      {"X-RateLimit-Remaining", std::to_string(decision.remaining)},
      {"X-RateLimit-Reset", std::to_string(reset)},
      {"RateLimit-Policy",
       fmt::format("\"{}\";q={};w={}", rule.name, rule.rate.limit, rule.rate.period_ms / 1000)},
      {"RateLimit", fmt::format("\"{}\";r={};t={}", rule.name, decision.remaining, reset)},
  };
  if (!result.allowed) {
    // The request passes only once every enforced rule that denies it
    // allows it again: the longest wait.
    // -1 from a rule whose limit is below the request's cost: never.
    for (const auto& check : result.rules) {
      if (check.decision && !check.rule.shadow && !check.decision->allowed) {
        result.retry_after_ms =
            check.decision->retry_after_ms < 0 || result.retry_after_ms < 0
                ? -1
                : std::max(result.retry_after_ms, check.decision->retry_after_ms);
      }
    }
    if (result.retry_after_ms >= 0) {
      result.headers.emplace_back("Retry-After", std::to_string(seconds_up(result.retry_after_ms)));
    }
  }
}

CheckResult run_check(const LimitsOptions& options, core::Context& context) {
  return evaluate(options, context, options.cost);
}

CheckResult run_explain(const LimitsOptions& options, core::Context& context) {
  return evaluate(options, context, 0);
}

ScriptResult run_script(const LimitsOptions& options) {
  ScriptResult result;
  result.algorithm = options.algorithm;
  if (options.algorithm) {
    result.text = script_for(*options.algorithm).source;
  }
  for (auto algorithm : {Algorithm::fixed_window,
                         Algorithm::sliding_window,
                         Algorithm::sliding_log,
                         Algorithm::gcra}) {
    result.sha1s.emplace_back(algorithm, script_for(algorithm).sha1);
  }
  return result;
}

} // namespace golfops::commands::limits
