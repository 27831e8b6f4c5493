#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::commands::limits {

// Who a bucket is for: each distinct ip, user or api_key (or one value of
// it), or everyone at once.
enum class Scope { ip, user, api_key, global };
// How a bucket counts (docs/limits.md compares them).
enum class Algorithm { fixed_window, sliding_window, sliding_log, gcra };

std::string_view scope_name(Scope scope);
std::string_view algorithm_name(Algorithm algorithm);
// Throw Error(usage) naming `field`, the value and what is allowed.
Scope parse_scope(std::string_view text, std::string_view field);
Algorithm parse_algorithm(std::string_view text, std::string_view field);

// "100/60s", "5/1h", "1000/1m": a limit per period.
struct Rate {
  std::int64_t limit = 0;
  std::int64_t period_ms = 0;
};
Rate parse_rate(std::string_view text, std::string_view field);
std::string format_rate(const Rate& rate); // "100/1m", "5/1h", "3/5m"

// One rate-limit rule as PostgreSQL keeps it (golfops.rate_limit_rules).
struct Rule {
  std::string name;
  Scope scope = Scope::ip;
  std::string scope_value; // empty: every distinct value has its own bucket
  std::string resource;    // empty: every resource
  Rate rate;
  Algorithm algorithm = Algorithm::fixed_window;
  std::int64_t burst = 0; // gcra only: requests allowed at once (0: the limit)
  bool enabled = true;
  bool shadow = false; // counted and reported, never denies
  std::int64_t priority = 0;
  std::string description;
  // Kept by PostgreSQL: version for --if-version, who and when.
  std::int64_t version = 0;
  std::string created_at;
  std::string created_by;
  std::string updated_at;
  std::string updated_by;
};

// How a field is named in errors: "--rate" on the command line,
// "rules.toml:5: rule 'api': rate" in a rule file.
using FieldLabel = std::function<std::string(std::string_view field)>;
FieldLabel flag_labels();                   // name -> NAME, scope_value -> --scope-value
FieldLabel file_labels(std::string prefix); // "<prefix>: <field>"

// Checks every field; throws Error(usage) with one line naming the field,
// the value and what is allowed.
void validate(const Rule& rule, const FieldLabel& label);

// The definition only (what import compares): no version or bookkeeping.
nlohmann::json definition_json(const Rule& rule);
// A rule back from definition_json (a published rule set, a revision);
// Error(failed) naming `source` when it is not one.
Rule rule_from_definition(const nlohmann::json& json, std::string_view source);
// Everything, for -o json.
nlohmann::json rule_json(const Rule& rule);
// The fields whose definitions differ: "rate 100/1m -> 50/1m".
std::vector<std::string> differences(const Rule& before, const Rule& after);

// A rule file (TOML, `[[rule]]` tables; docs/limits.md): the rules in file
// order. Unknown keys, duplicate names and bad values are Error(usage)
// naming file and rule. `requests_per_minute = N` (the seeds' form) is
// read as rate = "N/1m".
std::vector<Rule> parse_rule_file(std::string_view text, std::string_view source);
// The rules as a rule file that parse_rule_file reads back unchanged.
std::string format_rule_file(const std::vector<Rule>& rules);

} // namespace golfops::commands::limits
