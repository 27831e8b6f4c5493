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
