#pragma once

#include "commands/limits/bucket.hpp"
#include "commands/limits/published.hpp"
#include "commands/limits/rule.hpp"
#include "commands/limits/store.hpp"
#include "core/context.hpp"
#include "core/output/report.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace golfops::core::config {
class Config;
}

namespace golfops::commands::limits {

// What `golfops limits` was asked, from flags (cli/register.cpp).
struct LimitsOptions {
  std::string actor; // audited as the one who changed a rule
  std::string name;  // get, update, delete, enable, disable, history
  RuleFilter filter; // list
  // create: the whole rule; update: the current rule with the given flags
  // applied (see `apply`).
  std::function<Rule(Rule)> edit;
  std::optional<std::int64_t> if_version;
  std::filesystem::path file; // import, diff
  bool prune = false;         // import: remove rules the file lacks
  bool dry_run = false;       // import
  bool yes = false;           // delete, import --prune
  bool exit_code = false;     // diff: exit 1 when import would change something
  int history_limit = 50;
  bool publish = true;                    // create, update, ...: publish after (--no-publish)
  std::string key_prefix = "golfops:rl:"; // limits.key_prefix
  Request request;                        // check, explain
  std::int64_t cost = 1;                  // check
  std::int64_t revision = 0;              // rollback
  bool list_revisions = false;            // rollback --list
  int top = 20;                           // usage
  std::string rule;                       // usage, reset, violations, stats: one rule only
  std::optional<std::string> value;       // reset: one bucket's scope value
  bool all = false;                       // reset: every bucket of the rule
  std::optional<std::chrono::milliseconds> since; // violations (default 1h), stats (1d)
  std::optional<Algorithm> algorithm;             // script, bench
  struct Bench {
    int concurrency = 50;
    std::int64_t requests = 100000;
    std::chrono::milliseconds duration{0}; // 0: until `requests`
    std::optional<Rate> rate;              // default: nothing denied (see bench_rule)
    std::int64_t burst = 0;
    int buckets = 1;
    bool keep = false; // leave the buckets (tests look at them)
  } bench;
};

// publish and rollback: the revision Redis now holds.
struct PublishResult {
  Revision revision;
  bool changed = true;        // false: Redis already held these rules
  std::int64_t receivers = 0; // subscribers the change message reached; -1: not sent
  std::string announce_error;
  std::string channel;
};

struct ListResult {
  std::vector<Rule> rules;
};

// get, create, update, delete, enable, disable: the rule after (before, for
// delete) and what changed.
struct RuleResult {
  std::string
      action; // "shown", "created", "updated", "deleted", "enabled", "disabled", "unchanged"
  Rule rule;
  std::vector<std::string> changes;
  std::optional<PublishResult> published = {}; // unless --no-publish or unchanged
};

struct HistoryResult {
  std::string name;
  std::vector<AuditEntry> entries; // newest first
};

// One difference between a rule file and the database.
struct Change {
  enum class Kind { add, change, remove, keep };
  Kind kind = Kind::keep;
  std::string name;
  std::optional<Rule> before; // in the database
  std::optional<Rule> after;  // in the file
  std::vector<std::string> fields;
};

// diff and import: what the file changes, and whether it was applied.
struct PlanResult {
  std::string file;
  bool prune = false;
  bool applied = false;
  std::vector<Change> changes; // file order, then removals
  std::optional<PublishResult> published = {};
  bool any_change() const;
};

struct ExportResult {
  std::vector<Rule> rules;
  std::string text; // the rule file
};

// rollback --list: every revision, newest first, and the one Redis holds.
struct RevisionsResult {
  std::int64_t current = 0;
  std::vector<Revision> revisions;
};

// drift: PostgreSQL's enabled rules against what Redis holds (add: only
// in PostgreSQL, remove: only in Redis, change: different).
struct DriftResult {
  std::int64_t revision = 0; // 0: nothing published
  std::vector<Change> changes;
  bool any() const;
};

// One rule's part in a check or explain.
struct RuleCheck {
  Rule rule;
  Match match;
  std::optional<Decision> decision; // when it applies
};

// check (counts the request) and explain (only looks).
struct CheckResult {
  bool counted = false; // check: true; explain: false
  Request request;
  std::int64_t revision = 0;
  std::vector<RuleCheck> rules;       // priority order
  std::optional<std::size_t> decider; // index into rules
  bool allowed = true;
  std::int64_t retry_after_ms = 0; // denied: until every denying rule allows
  std::vector<std::pair<std::string, std::string>> headers;
};

struct BucketUsage {
  std::string rule;
  std::string scope;
  std::string value; // as displayed (API keys shortened)
  Decision decision;
};

struct UsageResult {
  std::vector<BucketUsage> buckets; // fullest first
  std::int64_t scanned = 0;         // keys SCAN returned
  std::int64_t unpublished = 0;     // buckets of rules Redis has no rule for
  int masters = 1;
};

struct ResetResult {
  std::string rule;
  std::string value; // one bucket, or "" with all
  bool all = false;
  std::int64_t deleted = 0;
};

struct Violation {
  std::int64_t at_ms = 0;
  std::string rule;
  std::string scope;
  std::string value;
  std::int64_t limit = 0;
  std::int64_t used = 0;
  bool shadow = false;
};

struct ViolationsResult {
  std::chrono::milliseconds since{0};
  std::vector<Violation> violations; // newest first
};

struct RuleStats {
  std::string rule;
  std::int64_t checks = 0;
  std::int64_t over = 0; // over the limit (denied, or would be for shadow rules)
  std::int64_t buckets = 0;
  bool shadow = false;
};

struct StatsResult {
  std::chrono::milliseconds since{0};
  std::vector<RuleStats> rules; // most checked first
};

// script: one algorithm's Lua (--algorithm), or every script's SHA1.
struct ScriptResult {
  std::optional<Algorithm> algorithm;
  std::string text;
  std::vector<std::pair<Algorithm, std::string>> sha1s;
};

struct BenchResult {
  Algorithm algorithm = Algorithm::fixed_window;
  Rate rate;
  int concurrency = 0;
  int buckets = 0;
  std::int64_t checks = 0;
  std::int64_t allowed = 0;
  std::int64_t denied = 0;
  std::int64_t redirections = 0;
  double seconds = 0;
  std::chrono::nanoseconds p50{0}, p90{0}, p99{0}, p999{0}, max{0}, mean{0};
  bool cluster = false;
};

PublishResult run_publish(const LimitsOptions& options, core::Context& context);
PublishResult run_rollback(const LimitsOptions& options, core::Context& context);
RevisionsResult run_revisions(const LimitsOptions& options, core::Context& context);
DriftResult run_drift(const LimitsOptions& options, core::Context& context);
CheckResult run_check(const LimitsOptions& options, core::Context& context);
CheckResult run_explain(const LimitsOptions& options, core::Context& context);
UsageResult run_usage(const LimitsOptions& options, core::Context& context);
ResetResult run_reset(const LimitsOptions& options, core::Context& context);
ViolationsResult run_violations(const LimitsOptions& options, core::Context& context);
StatsResult run_stats(const LimitsOptions& options, core::Context& context);
// stats --metrics-file: per-rule gauges for node_exporter's textfile
// collector (packaging/prometheus alerts on them).
std::string stats_metrics_text(const StatsResult& result);
inline constexpr std::string_view k_stats_error_metric = "golfops_ratelimit_error";
inline constexpr std::string_view k_stats_error_help =
    "1 when the last golfops limits stats --metrics-file run failed (reason: connect, ...).";
ScriptResult run_script(const LimitsOptions& options);
BenchResult run_bench(const LimitsOptions& options, core::Context& context);

// The [limits] config keys (config_keys.cpp), and the checked key prefix.
void add_config_keys();
std::string key_prefix_from(const core::config::Config& config);

// Adds what a publish after a change did to its report.
void add_published(core::output::Report& report, const std::optional<PublishResult>& published);

// The rule that decides a check and the headers a service sends, from the
// rules' decisions (check and explain; docs/limits.md, "Which rule decides").
void decide(CheckResult& result);

ListResult run_list(const LimitsOptions& options, core::Context& context);
RuleResult run_get(const LimitsOptions& options, core::Context& context);
RuleResult run_create(const LimitsOptions& options, core::Context& context);
RuleResult run_update(const LimitsOptions& options, core::Context& context);
RuleResult run_delete(const LimitsOptions& options, core::Context& context);
RuleResult run_set_enabled(const LimitsOptions& options, bool enabled, core::Context& context);
HistoryResult run_history(const LimitsOptions& options, core::Context& context);
PlanResult run_diff(const LimitsOptions& options, core::Context& context);
PlanResult run_import(const LimitsOptions& options, core::Context& context);
ExportResult run_export(const LimitsOptions& options, core::Context& context);

// The changes that make the database's rules those of `file_rules`
// (removals only with `prune`).
std::vector<Change>
plan_changes(const std::vector<Rule>& database, const std::vector<Rule>& file_rules, bool prune);

core::output::Report render(const ListResult& result);
core::output::Report render(const RuleResult& result);
core::output::Report render(const HistoryResult& result);
core::output::Report render(const PlanResult& result);
core::output::Report render(const ExportResult& result);
core::output::Report render(const PublishResult& result);
core::output::Report render(const RevisionsResult& result);
core::output::Report render(const DriftResult& result);
core::output::Report render(const CheckResult& result);
core::output::Report render(const UsageResult& result);
core::output::Report render(const ResetResult& result);
core::output::Report render(const ViolationsResult& result);
core::output::Report render(const StatsResult& result);
core::output::Report render(const ScriptResult& result);
core::output::Report render(const BenchResult& result);

} // namespace golfops::commands::limits
