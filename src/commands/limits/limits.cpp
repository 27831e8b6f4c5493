#include "commands/limits/limits.hpp"

#include "commands/limits/session.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/client.hpp"

#include <fmt/format.h>
#include <map>

namespace golfops::commands::limits {
namespace {

std::vector<Rule> read_rule_file(const std::filesystem::path& file) {
  auto text = core::read_file(file, "FILE");
  return parse_rule_file(text, file.string());
}

} // namespace

bool PlanResult::any_change() const {
  for (const auto& change : changes) {
    if (change.kind != Change::Kind::keep) {
      return true;
    }
  }
  return false;
}

std::vector<Change>
plan_changes(const std::vector<Rule>& database, const std::vector<Rule>& file_rules, bool prune) {
  std::map<std::string, const Rule*> existing;
  for (const auto& rule : database) {
    existing[rule.name] = &rule;
  }
  std::vector<Change> changes;
  for (const auto& wanted : file_rules) {
    Change change;
    change.name = wanted.name;
    change.after = wanted;
    auto found = existing.find(wanted.name);
    if (found == existing.end()) {
      change.kind = Change::Kind::add;
    } else {
      change.before = *found->second;
      change.fields = differences(*found->second, wanted);
      change.kind = change.fields.empty() ? Change::Kind::keep : Change::Kind::change;
      existing.erase(found);
    }
    changes.push_back(std::move(change));
  }
  // What the file lacks, in the database's order.
  for (const auto& rule : database) {
    if (existing.contains(rule.name)) {
      Change change;
      change.name = rule.name;
      change.before = rule;
      change.kind = prune ? Change::Kind::remove : Change::Kind::keep;
      if (!prune) {
        change.fields.push_back("not in the file (kept; --prune removes it)");
      }
      changes.push_back(std::move(change));
    }
  }
  return changes;
}

ListResult run_list(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  return {session.store.list(options.filter)};
}

RuleResult run_get(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  return {"shown", session.store.get(options.name), {}};
}

RuleResult run_create(const LimitsOptions& options, core::Context& context) {
  auto rule = options.edit(Rule{});
  if (rule.rate.limit == 0) {
    core::throw_usage("--rate: missing (a new rule needs one, e.g. --rate 100/60s)");
  }
  validate(rule, flag_labels());
  Session session(options, context);
  RuleResult result{"created", session.store.create(rule), {}};
  result.published = publish_after_change(session, options, context);
  return result;
}

RuleResult run_update(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  RuleResult result;
  session.store.transaction([&] {
    auto current = session.store.get(options.name);
    RuleStore::require_version(current, options.if_version);
    auto wanted = options.edit(current);
    validate(wanted, flag_labels());
    result.changes = differences(current, wanted);
    if (result.changes.empty()) {
      result = {"unchanged", current, {}};
      return;
    }
    result.action = "updated";
    result.rule = session.store.update(wanted, options.if_version.value_or(current.version));
  });
  if (result.action == "updated") {
    result.published = publish_after_change(session, options, context);
  }
  return result;
}

RuleResult run_delete(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  RuleResult result{"deleted", {}, {}};
  session.store.transaction([&] {
    auto current = session.store.get(options.name);
    context.confirm.require(options.yes,
                            fmt::format("delete of rate-limit rule '{}' ({} per {})",
                                        current.name,
                                        format_rate(current.rate),
                                        scope_name(current.scope)),
                            session.client.target());
    result.rule = session.store.remove(options.name, options.if_version);
  });
  result.published = publish_after_change(session, options, context);
  return result;
}

RuleResult run_set_enabled(const LimitsOptions& options, bool enabled, core::Context& context) {
  Session session(options, context);
  auto current = session.store.get(options.name);
  RuleStore::require_version(current, options.if_version);
  if (current.enabled == enabled) {
    return {"unchanged", current, {}}; // no audit row, no new version
  }
  auto changed = session.store.set_enabled(options.name, enabled, options.if_version);
  RuleResult result{enabled ? "enabled" : "disabled", changed, differences(current, changed)};
  result.published = publish_after_change(session, options, context);
  return result;
}

HistoryResult run_history(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  auto entries = session.store.history(options.name, options.history_limit);
  if (entries.empty()) {
    session.store.get(options.name); // no such rule: say so, with the closest name
  }
  return {options.name, std::move(entries)};
}

PlanResult run_diff(const LimitsOptions& options, core::Context& context) {
  auto wanted = read_rule_file(options.file);
  Session session(options, context);
  return {options.file.string(),
          options.prune,
          false,
          plan_changes(session.store.list(), wanted, options.prune)};
}

PlanResult run_import(const LimitsOptions& options, core::Context& context) {
  auto wanted = read_rule_file(options.file);
  Session session(options, context);
  PlanResult result{options.file.string(), options.prune, false, {}};
  session.store.transaction([&] {
    // Planned and applied in one transaction: what is shown is what ran.
    result.changes = plan_changes(session.store.list(), wanted, options.prune);
    if (options.dry_run || !result.any_change()) {
      return;
    }
    std::size_t removals = 0;
    for (const auto& change : result.changes) {
      removals += change.kind == Change::Kind::remove ? 1 : 0;
    }
    if (removals > 0) {
      context.confirm.require(options.yes,
                              fmt::format("import of {} with --prune (removes {} rule(s) the file "
                                          "does not have)",
                                          options.file.string(),
                                          removals),
                              session.client.target());
    }
    for (const auto& change : result.changes) {
      switch (change.kind) {
      case Change::Kind::add:
        session.store.create(*change.after);
        break;
      case Change::Kind::change:
        session.store.update(*change.after, change.before->version);
        break;
      case Change::Kind::remove:
        session.store.remove(change.name, change.before->version);
        break;
      case Change::Kind::keep:
        break;
      }
    }
    result.applied = true;
  });
  // Unchanged rules are published too when Redis lacks them (a restarted
  // Redis without persistence): after an import the file's rules are in
  // effect, which is what a deploy running it expects. Publishing what
  // Redis already holds changes nothing.
  if (!options.dry_run) {
    result.published = publish_after_change(session, options, context);
  }
  return result;
}

ExportResult run_export(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  ExportResult result;
  result.rules = session.store.list();
  result.text = format_rule_file(result.rules);
  return result;
}

} // namespace golfops::commands::limits
