#include "commands/limits/limits.hpp"
#include "commands/limits/rule.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace golfops::commands::limits;

namespace {

std::string refusal(const std::string& text) {
  try {
    parse_rule_file(text, "rules.toml");
  } catch (const golfops::core::Error& error) {
    CHECK(error.code() == golfops::core::ExitCode::usage);
    return error.what();
  }
  return "accepted";
}

std::string default_rules() {
  return golfops::core::read_file(GOLFOPS_UNIT_DATA "/../../../limits/default-rules.toml",
                                  "default rules");
}

} // namespace

TEST_CASE("limits::parse_rate reads LIMIT/PERIOD and format_rate writes it back") {
  CHECK(parse_rate("100/60s", "rate").limit == 100);
  CHECK(parse_rate("100/60s", "rate").period_ms == 60000);
  CHECK(parse_rate("5/1h", "rate").period_ms == 3600000);
  CHECK(parse_rate("3/300s", "rate").period_ms == 300000);
  CHECK(parse_rate("10/s", "rate").period_ms == 1000);
  CHECK(format_rate(parse_rate("100/60s", "rate")) == "100/1m");
  CHECK(format_rate(parse_rate("3/300s", "rate")) == "3/5m");
  CHECK(format_rate(parse_rate("5/90s", "rate")) == "5/90s");
  CHECK(format_rate(parse_rate("5/1h", "rate")) == "5/1h");
  for (const char* bad : {"0/60s",
                          "-1/60s",
                          "100",
                          "100/0s",
                          "100/500ms",
                          "100/x",
                          "/60s",
                          "1.5/1m",
                          "100/30d",
                          "abc/1m"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(
        parse_rate(bad, "--rate"), doctest::Contains("--rate: '"), golfops::core::Error);
  }
}

TEST_CASE("limits: the default rule file holds the seeds' tiers and round-trips losslessly") {
  auto rules = parse_rule_file(default_rules(), "default-rules.toml");
  REQUIRE(rules.size() == 8);
  CHECK(rules[0].name == "api_general");
  CHECK(format_rate(rules[0].rate) == "100/1m");
  CHECK(rules[4].name == "email_send");
  CHECK(format_rate(rules[4].rate) == "3/5m");
  CHECK(rules[6].algorithm == Algorithm::gcra);
  CHECK(rules[6].burst == 20);
  CHECK(rules[7].scope == Scope::global);
  auto again = parse_rule_file(format_rule_file(rules), "exported.toml");
  REQUIRE(again.size() == rules.size());
  for (std::size_t index = 0; index < rules.size(); ++index) {
    CHECK(definition_json(again[index]) == definition_json(rules[index]));
  }
}

TEST_CASE("limits: a bad rule file gets one line naming file, rule and field") {
  auto rule = [](const std::string& body) { return "[[rule]]\nname = \"r\"\n" + body; };
  CHECK(refusal(rule("rate = \"0/1m\"")).find("rules.toml:1: rule 'r': rate: '0/1m'") !=
        std::string::npos);
  CHECK(refusal(rule("rate = \"1/0s\"")).find("is not a rate") != std::string::npos);
  CHECK(
      refusal(rule("rate = \"1/1m\"\nscope = \"planet\"")).find("scope: 'planet' is not a scope") !=
      std::string::npos);
  CHECK(
      refusal(rule("rate = \"1/1m\"\nalgorithm = \"leaky\"")).find("'leaky' is not an algorithm") !=
      std::string::npos);
  CHECK(refusal(rule("rate = \"1/1m\"\nburst = 5")).find("a burst is for gcra only") !=
        std::string::npos);
  CHECK(refusal(rule("rate = \"1/1m\"\nscope = \"global\"\nscope_value = \"x\""))
            .find("scope_value") != std::string::npos);
  CHECK(refusal(rule("rate = \"1/1m\"\nlimit = 4")).find("unknown key 'limit'") !=
        std::string::npos);
  CHECK(
      refusal(rule("rate = \"1/1m\"") + "\n" + rule("rate = \"2/1m\"")).find("name 'r' is used") !=
      std::string::npos);
  CHECK(refusal(rule("")).find("rate is missing") != std::string::npos);
  CHECK(refusal("[[rule]]\nname = \"Bad Name\"\nrate = \"1/1m\"").find("is not a rule name") !=
        std::string::npos);
  CHECK(refusal("[rules]\n").find("unknown table or key 'rules'") != std::string::npos);
  CHECK(refusal("[[rule]\n").find("invalid TOML") != std::string::npos);
  // The seeds' form.
  auto seeded = parse_rule_file(rule("requests_per_minute = 60"), "rules.toml");
  CHECK(format_rate(seeded.at(0).rate) == "60/1m");
}

TEST_CASE("limits::plan_changes: add, change, keep, and remove only with prune") {
  auto rules = parse_rule_file(default_rules(), "default-rules.toml");
  std::vector<Rule> database(rules.begin(), rules.begin() + 3);
  database[1].rate.limit = 99;
  Rule extra = rules[0];
  extra.name = "legacy";
  database.push_back(extra);
  std::vector<Rule> wanted(rules.begin(), rules.begin() + 4);
  auto changes = plan_changes(database, wanted, false);
  REQUIRE(changes.size() == 5);
  CHECK(changes[0].kind == Change::Kind::keep);
  CHECK(changes[1].kind == Change::Kind::change);
  CHECK(changes[1].fields == std::vector<std::string>{"rate '99/1m' -> '10/1m'"});
  CHECK(changes[3].kind == Change::Kind::add);
  CHECK(changes[4].name == "legacy");
  CHECK(changes[4].kind == Change::Kind::keep);
  CHECK(plan_changes(database, wanted, true)[4].kind == Change::Kind::remove);
}

TEST_CASE("limits bucket keys share one hash tag and parse back") {
  Rule rule;
  rule.name = "api.v2:login";
  rule.scope = Scope::ip;
  auto keys = bucket_keys("golfops:rl:", rule, "2001:db8::1");
  CHECK(keys.state == "golfops:rl:api.v2:login:{ip:2001:db8::1}");
  CHECK(keys.stats == keys.state + ":s");
  CHECK(keys.violations == keys.state + ":v");
  auto state = parse_bucket_key("golfops:rl:", keys.state);
  REQUIRE(state);
  CHECK(state->kind == BucketName::Kind::state);
  CHECK(state->rule == "api.v2:login");
  CHECK(state->scope == "ip");
  CHECK(state->value == "2001:db8::1");
  auto stats = parse_bucket_key("golfops:rl:", keys.stats);
  REQUIRE(stats);
  CHECK(stats->kind == BucketName::Kind::stats);
  CHECK(stats->value == "2001:db8::1");
  CHECK_FALSE(parse_bucket_key("golfops:rl:", "golfops:rl:{rules}"));
  CHECK_FALSE(parse_bucket_key("golfops:rl:", "other:api:{ip:1}"));
  rule.scope = Scope::global;
  CHECK(bucket_keys("p:", rule, "").state == "p:api.v2:login:{global:}");
  CHECK(bucket_pattern("a*b:", "") == "a\\*b:*:{*");
}

TEST_CASE("limits match: resource, scope and scope value decide whether a rule counts") {
  Rule rule;
  rule.name = "auth";
  rule.scope = Scope::user;
  rule.resource = "api_auth";
  CHECK(match(rule, {"api_auth", "", "42", ""}).applies);
  CHECK(match(rule, {"api_auth", "", "42", ""}).value == "42");
  CHECK(match(rule, {"other", "", "42", ""}).reason == "for resource api_auth");
  CHECK(match(rule, {"api_auth", "1.2.3.4", "", ""}).reason == "counts by user: needs --user");
  rule.scope_value = "7";
  CHECK(match(rule, {"api_auth", "", "42", ""}).reason == "only for user 7");
  rule.scope = Scope::global;
  rule.resource = "";
  CHECK(match(rule, {"anything", "", "", ""}).applies);
  auto shown = display_value("api_key", "sk_live_secret");
  CHECK(shown.starts_with("sk_l…"));
  CHECK(shown.size() == std::string("sk_l…").size() + 4);
  CHECK(display_value("api_key", "short1") != display_value("api_key", "short2"));
  CHECK(display_value("api_key", "short1").starts_with("…"));
  CHECK(canonical_ip("2001:DB8:0::1") == "2001:db8::1");
  CHECK(canonical_ip("::ffff:203.0.113.7") == "203.0.113.7");
  CHECK(canonical_ip("203.0.113.7") == "203.0.113.7");
  CHECK(canonical_ip("not an ip") == "not an ip");
  CHECK(display_value("ip", "1.2.3.4") == "1.2.3.4");
}

TEST_CASE("limits decide: the highest-priority enforced denial decides; shadow rules never do") {
  auto check = [](const char* name, bool shadow, bool allowed, std::int64_t remaining) {
    RuleCheck result;
    result.rule.name = name;
    result.rule.shadow = shadow;
    result.rule.rate = {10, 60000};
    result.match.applies = true;
    Decision decision;
    decision.allowed = allowed;
    decision.exceeded = !allowed || shadow;
    decision.limit = 10;
    decision.remaining = remaining;
    decision.reset_ms = 1500;
    decision.retry_after_ms = allowed ? 0 : 1200;
    result.decision = decision;
    return result;
  };
  CheckResult result;
  result.rules = {check("shadowed", true, true, 0),
                  check("loose", false, true, 8),
                  check("tight", false, true, 2)};
  decide(result);
  CHECK(result.allowed);
  REQUIRE(result.decider);
  CHECK(result.rules[*result.decider].rule.name == "tight");
  CHECK(result.headers[1] == std::pair<std::string, std::string>{"X-RateLimit-Remaining", "2"});
  CHECK(result.headers[3].second == "\"tight\";q=10;w=60");
  CHECK(result.headers[4].second == "\"tight\";r=2;t=2");

  result.rules = {check("first", false, false, 0), check("second", false, false, 0)};
  decide(result);
  CHECK_FALSE(result.allowed);
  CHECK(result.rules[*result.decider].rule.name == "first");
  CHECK(result.headers.back() == std::pair<std::string, std::string>{"Retry-After", "2"});

  result.rules = {check("only_shadow", true, true, 0)};
  decide(result);
  CHECK(result.allowed);
  CHECK_FALSE(result.decider);
  CHECK(result.headers.empty());
}
