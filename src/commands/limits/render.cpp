#include "commands/limits/limits.hpp"

#include <fmt/format.h>

namespace golfops::commands::limits {
namespace {

using Tone = core::output::Table::Tone;

std::string applies_to(const Rule& rule) {
  auto who = rule.scope == Scope::global ? std::string("everyone")
             : rule.scope_value.empty()
                 ? fmt::format("each {}", scope_name(rule.scope))
                 : fmt::format("{} {}",
                               scope_name(rule.scope),
                               display_value(scope_name(rule.scope), rule.scope_value));
  return fmt::format("{} on {}", who, rule.resource.empty() ? "every resource" : rule.resource);
}

std::string state_of(const Rule& rule) {
  return !rule.enabled ? "disabled" : rule.shadow ? "shadow" : "enforced";
}

Tone tone_of(const Rule& rule) {
  return !rule.enabled ? Tone::dim : rule.shadow ? Tone::warn : Tone::good;
}

core::output::Table rules_table(const std::vector<Rule>& rules) {
  core::output::Table table(
      {"name", "rate", "algorithm", "applies to", "state", "priority", "version"});
  table.align_right(5);
  table.align_right(6);
  for (const auto& rule : rules) {
    auto algorithm = std::string(algorithm_name(rule.algorithm));
    if (rule.burst > 0) {
      algorithm += fmt::format(" (burst {})", rule.burst);
    }
    table.add_row({{rule.name},
                   {format_rate(rule.rate)},
                   {algorithm},
                   {applies_to(rule)},
                   {state_of(rule), tone_of(rule)},
                   {std::to_string(rule.priority)},
                   {std::to_string(rule.version)}});
  }
  return table;
}

std::string_view kind_name(Change::Kind kind) {
  switch (kind) {
  case Change::Kind::add:
    return "add";
  case Change::Kind::change:
    return "change";
  case Change::Kind::remove:
    return "remove";
  case Change::Kind::keep:
    return "keep";
  }
  return "?";
}

} // namespace

core::output::Report render(const ListResult& result) {
  core::output::Report report;
  report.json = {{"rules", nlohmann::json::array()}};
  for (const auto& rule : result.rules) {
    report.json["rules"].push_back(rule_json(rule));
  }
  if (result.rules.empty()) {
    report.notes.push_back("no rules (golfops limits import FILE or limits create NAME adds some)");
  } else {
    report.tables.push_back(rules_table(result.rules));
  }
  return report;
}

core::output::Report render(const RuleResult& result) {
  core::output::Report report;
  report.json = rule_json(result.rule);
  report.json["action"] = result.action;
  report.json["changes"] = result.changes;
  report.tables.push_back(rules_table({result.rule}));
  if (!result.rule.description.empty()) {
    report.notes.push_back(result.rule.description);
  }
  if (result.action == "shown") {
    report.notes.push_back(fmt::format("created {} by {}, last changed {} by {}",
                                       result.rule.created_at,
                                       result.rule.created_by,
                                       result.rule.updated_at,
                                       result.rule.updated_by));
  } else {
    report.notes.push_back(fmt::format(
        "rule '{}' {}{}",
        result.rule.name,
        result.action,
        result.changes.empty() ? "" : ": " + fmt::format("{}", fmt::join(result.changes, ", "))));
  }
  add_published(report, result.published);
  return report;
}

core::output::Report render(const HistoryResult& result) {
  core::output::Report report;
  report.json = {{"name", result.name}, {"entries", nlohmann::json::array()}};
  core::output::Table table({"at", "actor", "action", "what"});
  for (const auto& entry : result.entries) {
    std::string what;
    if (entry.before && entry.after) {
      what = fmt::format("{}", fmt::join(differences(*entry.before, *entry.after), ", "));
    } else if (entry.after) {
      what = fmt::format("{} for {}", format_rate(entry.after->rate), applies_to(*entry.after));
    } else if (entry.before) {
      what =
          fmt::format("was {} for {}", format_rate(entry.before->rate), applies_to(*entry.before));
    }
    report.json["entries"].push_back(
        {{"at", entry.at},
         {"actor", entry.actor},
         {"action", entry.action},
         {"before", entry.before ? definition_json(*entry.before) : nlohmann::json(nullptr)},
         {"after", entry.after ? definition_json(*entry.after) : nlohmann::json(nullptr)}});
    table.add_row({{entry.at}, {entry.actor}, {entry.action}, {what}});
  }
  report.tables.push_back(std::move(table));
  return report;
}

core::output::Report render(const PlanResult& result) {
  core::output::Report report;
  report.json = {{"file", result.file},
                 {"prune", result.prune},
                 {"applied", result.applied},
                 {"changes", nlohmann::json::array()}};
  core::output::Table table({"", "rule", "what"});
  std::map<Change::Kind, int> counts;
  for (const auto& change : result.changes) {
    ++counts[change.kind];
    report.json["changes"].push_back(
        {{"action", kind_name(change.kind)},
         {"name", change.name},
         {"fields", change.fields},
         {"before", change.before ? definition_json(*change.before) : nlohmann::json(nullptr)},
         {"after", change.after ? definition_json(*change.after) : nlohmann::json(nullptr)}});
    if (change.kind == Change::Kind::keep && change.fields.empty()) {
      continue;
    }
    auto sign = change.kind == Change::Kind::add      ? "+"
                : change.kind == Change::Kind::remove ? "-"
                : change.kind == Change::Kind::change ? "~"
                                                      : " ";
    auto tone = change.kind == Change::Kind::add      ? Tone::good
                : change.kind == Change::Kind::remove ? Tone::bad
                : change.kind == Change::Kind::change ? Tone::warn
                                                      : Tone::dim;
    auto what =
        change.kind == Change::Kind::add
            ? fmt::format("{} for {}", format_rate(change.after->rate), applies_to(*change.after))
        : change.kind == Change::Kind::remove
            ? fmt::format("{} for {}", format_rate(change.before->rate), applies_to(*change.before))
            : fmt::format("{}", fmt::join(change.fields, ", "));
    table.add_row({{sign, tone}, {change.name, tone}, {what}});
  }
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  }
  // Rules only the database has are kept without --prune: counted apart,
  // so "unchanged" means the same in both.
  int only_in_database = 0;
  for (const auto& change : result.changes) {
    only_in_database += change.kind == Change::Kind::keep && !change.fields.empty() ? 1 : 0;
  }
  auto extra =
      only_in_database == 0
          ? std::string()
          : fmt::format(", {} only in the database (kept; --prune removes them)", only_in_database);
  auto unchanged = counts[Change::Kind::keep] - only_in_database;
  if (result.applied) {
    report.notes.push_back(fmt::format("applied: {} added, {} changed, {} removed, {} unchanged{}",
                                       counts[Change::Kind::add],
                                       counts[Change::Kind::change],
                                       counts[Change::Kind::remove],
                                       unchanged,
                                       extra));
  } else if (result.any_change()) {
    report.notes.push_back(
        fmt::format("plan: {} to add, {} to change, {} to remove, {} unchanged{}",
                    counts[Change::Kind::add],
                    counts[Change::Kind::change],
                    counts[Change::Kind::remove],
                    unchanged,
                    extra));
  } else {
    report.notes.push_back(
        fmt::format("no changes: import would change nothing ({} unchanged{})", unchanged, extra));
  }
  add_published(report, result.published);
  return report;
}

core::output::Report render(const ExportResult& result) {
  core::output::Report report;
  report.json = {{"rules", nlohmann::json::array()}};
  for (const auto& rule : result.rules) {
    report.json["rules"].push_back(definition_json(rule));
  }
  // The rule file itself, ready for `> rules.toml`.
  auto text = result.text;
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  report.notes.push_back(text);
  return report;
}

} // namespace golfops::commands::limits
