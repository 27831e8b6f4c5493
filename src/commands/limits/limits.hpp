#pragma once

#include "commands/limits/rule.hpp"
#include "commands/limits/store.hpp"
#include "core/context.hpp"
#include "core/output/report.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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
  bool any_change() const;
};

struct ExportResult {
  std::vector<Rule> rules;
  std::string text; // the rule file
};

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

} // namespace golfops::commands::limits
