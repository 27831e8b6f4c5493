#include "commands/command.hpp"
#include "commands/limits/limits.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <charconv>
#include <fmt/format.h>
#include <memory>
#include <set>

namespace golfops::commands::limits {
namespace {

// The flags that describe a rule: create takes them all, update the ones
// given (the rest keep their values).
struct Flags {
  std::string name;
  std::string scope;
  std::string scope_value;
  std::string resource;
  std::string rate;
  std::string algorithm;
  std::string burst;
  std::string priority;
  std::string description;
  bool shadow = false;
  bool no_shadow = false;
  bool disabled = false;
  bool enabled_only = false;
  std::string if_version;
  std::string file;
  std::string history_limit;
  bool prune = false;
  bool dry_run = false;
  bool yes = false;
  bool exit_code = false;
  std::set<std::string> given; // the options that appeared
};

std::int64_t parse_integer(const std::string& text, std::string_view field, std::int64_t low) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < low) {
    core::throw_usage(
        fmt::format("{}: '{}' is not a whole number of at least {}", field, text, low));
  }
  return value;
}

// The rule the flags describe, on top of `rule`.
Rule apply(const Flags& flags, Rule rule) {
  auto given = [&](const char* option) { return flags.given.contains(option); };
  if (given("--scope")) {
    rule.scope = parse_scope(flags.scope, "--scope");
  }
  if (given("--scope-value")) {
    rule.scope_value = flags.scope_value;
  }
  if (given("--resource")) {
    rule.resource = flags.resource;
  }
  if (given("--rate")) {
    rule.rate = parse_rate(flags.rate, "--rate");
  }
  if (given("--algorithm")) {
    rule.algorithm = parse_algorithm(flags.algorithm, "--algorithm");
  }
  if (given("--burst")) {
    rule.burst = parse_integer(flags.burst, "--burst", 0);
  }
  if (given("--priority")) {
    rule.priority = parse_integer(flags.priority, "--priority", -1000000);
  }
  if (given("--description")) {
    rule.description = flags.description;
  }
  if (flags.shadow) {
    rule.shadow = true;
  }
  if (flags.no_shadow) {
    rule.shadow = false;
  }
  return rule;
}

// Each given flag's value, checked before anything connects: a rule like
// the one being edited, with the flags applied (a burst implies gcra when
// no algorithm is given, as only the merged rule can say otherwise).
void check_flags(const Flags& flags) {
  Rule probe;
  probe.name = flags.name.empty() ? "probe" : flags.name;
  probe.rate = {1, 60000};
  if (flags.given.contains("--burst") && !flags.given.contains("--algorithm")) {
    probe.algorithm = Algorithm::gcra;
  }
  if (flags.given.contains("--scope-value") && !flags.given.contains("--scope")) {
    probe.scope = Scope::user;
  }
  validate(apply(flags, probe), flag_labels());
}

LimitsOptions options_for(const Flags& flags, commands::Invocation& invocation) {
  check_flags(flags);
  LimitsOptions options;
  options.actor = default_actor(invocation.context.config.environment());
  options.name = flags.name;
  if (flags.given.contains("--if-version")) {
    options.if_version = parse_integer(flags.if_version, "--if-version", 1);
  }
  if (flags.given.contains("--scope")) {
    options.filter.scope = parse_scope(flags.scope, "--scope");
  }
  options.filter.resource = flags.resource;
  if (flags.enabled_only || flags.disabled) {
    if (flags.enabled_only && flags.disabled) {
      core::throw_usage("--enabled: not with --disabled (give one, or neither for every rule)");
    }
    options.filter.enabled = flags.enabled_only;
  }
  if (flags.shadow && flags.no_shadow) {
    core::throw_usage("--shadow: not with --no-shadow");
  }
  options.file = flags.file;
  options.prune = flags.prune;
  options.dry_run = flags.dry_run;
  options.yes = flags.yes;
  options.exit_code = flags.exit_code;
  if (flags.given.contains("--limit")) {
    options.history_limit = static_cast<int>(core::parse_count(flags.history_limit, "--limit", 1));
  }
  auto copy = flags;
  options.edit = [copy](Rule rule) {
    auto edited = apply(copy, std::move(rule));
    edited.name = copy.name;
    if (copy.disabled) {
      edited.enabled = false; // create --disabled
    }
    return edited;
  };
  return options;
}

void add_rule_flags(CLI::App* command, Flags& flags, bool creating) {
  command->add_option("--rate",
                      flags.rate,
                      creating ? "Limit per period: 100/60s, 5/1h, 1000/1m (required)"
                               : "Limit per period: 100/60s, 5/1h, 1000/1m");
  command->add_option("--scope",
                      flags.scope,
                      creating ? "Whose buckets: ip (default), user, api_key, global"
                               : "Whose buckets: ip, user, api_key, global");
  command->add_option("--scope-value",
                      flags.scope_value,
                      "Only this ip, user or key (default: every distinct one has its own bucket)");
  command->add_option(
      "--resource", flags.resource, "What it limits: api_auth, create_room... (default: all)");
  command->add_option(
      "--algorithm", flags.algorithm, "fixed_window (default), sliding_window, sliding_log, gcra");
  command->add_option("--burst", flags.burst, "gcra: requests allowed at once beyond the rate");
  command->add_option(
      "--priority", flags.priority, "Higher decides first when several rules apply (default 0)");
  command->add_option("--description", flags.description, "What the rule is for");
  command->add_flag("--shadow", flags.shadow, "Count and report, never deny");
  if (!creating) {
    command->add_flag("--no-shadow", flags.no_shadow, "Enforce again after --shadow");
  }
}

void add_if_version(CLI::App* command, Flags& flags) {
  command->add_option("--if-version",
                      flags.if_version,
                      "Change it only if it is still at this version (from get or list); else "
                      "exit 1 and change nothing");
}

commands::Outcome plan_outcome(const PlanResult& result, bool exit_code) {
  commands::Outcome outcome{render(result)};
  if (exit_code && result.any_change()) {
    outcome.exit_code = core::ExitCode::failed;
  }
  return outcome;
}

} // namespace

void register_limits(CLI::App& app, commands::Selected& selected) {
  auto* family = app.add_subcommand(
      "limits", "Rate-limit rules: kept in PostgreSQL, audited, enforced in Redis");
  family->require_subcommand(1);
  auto flags = std::make_shared<Flags>();
  auto wire = [&selected, flags](CLI::App* command, auto&& run) {
    command->callback([&selected, flags, run, command] {
      for (const auto* option : command->get_options()) {
        if (option->count() > 0) {
          for (const auto& long_name : option->get_lnames()) {
            flags->given.insert("--" + long_name);
          }
        }
      }
      selected.run = [flags, run](commands::Invocation& invocation) {
        return run(options_for(*flags, invocation), invocation);
      };
    });
  };
  auto add_name = [&](CLI::App* command, const char* what) {
    command->add_option("NAME", flags->name, what)->required();
  };

  auto* list = family->add_subcommand("list", "Every rule: rate, algorithm, whom, state");
  list->add_option("--scope", flags->scope, "Only rules of this scope");
  list->add_option("--resource", flags->resource, "Only rules for this resource");
  list->add_flag("--enabled", flags->enabled_only, "Only enabled rules");
  list->add_flag("--disabled", flags->disabled, "Only disabled rules");
  list->footer("EXAMPLES:\n  golfops limits list\n  golfops limits list --resource api_auth -o "
               "json");
  wire(list, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_list(options, invocation.context))};
  });

  auto* get = family->add_subcommand("get", "One rule, with who changed it last");
  add_name(get, "The rule's name");
  wire(get, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_get(options, invocation.context))};
  });

  auto* create = family->add_subcommand("create", "Add a rule (audited)");
  add_name(create, "A new rule's name: a-z, 0-9, _ . : -");
  add_rule_flags(create, *flags, true);
  create->add_flag("--disabled", flags->disabled, "Create it disabled");
  create->footer("EXAMPLES:\n  golfops limits create login_ip --resource api_auth --rate 10/60s\n"
                 "  golfops limits create burst_api --algorithm gcra --rate 100/1m --burst 20");
  wire(create, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_create(options, invocation.context))};
  });

  auto* update = family->add_subcommand("update", "Change a rule's flags given; the rest stay");
  add_name(update, "The rule's name");
  add_rule_flags(update, *flags, false);
  add_if_version(update, *flags);
  update->footer("EXAMPLES:\n  golfops limits update api_auth --rate 20/60s\n  golfops limits "
                 "update api_auth --rate 20/60s --if-version 3");
  wire(update, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_update(options, invocation.context))};
  });

  auto* remove = family->add_subcommand("delete", "Remove a rule (asks; its history stays)");
  add_name(remove, "The rule's name");
  add_if_version(remove, *flags);
  remove->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  wire(remove, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_delete(options, invocation.context))};
  });

  for (bool enabled : {true, false}) {
    auto* toggle = family->add_subcommand(enabled ? "enable" : "disable",
                                          enabled ? "Enforce a rule again"
                                                  : "Stop enforcing a rule (kept, audited)");
    add_name(toggle, "The rule's name");
    add_if_version(toggle, *flags);
    wire(toggle, [enabled](LimitsOptions options, commands::Invocation& invocation) {
      return commands::Outcome{render(run_set_enabled(options, enabled, invocation.context))};
    });
  }

  auto* history = family->add_subcommand("history", "Who changed a rule, when and how");
  add_name(history, "The rule's name (deleted rules too)");
  history->add_option("--limit", flags->history_limit, "Show the newest N changes (default 50)");
  wire(history, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_history(options, invocation.context))};
  });

  auto* diff = family->add_subcommand(
      "diff", "What import FILE would add, change and remove (like terraform plan)");
  diff->add_option("FILE", flags->file, "A rule file (TOML, [[rule]] tables)")->required();
  diff->add_flag("--prune", flags->prune, "Plan the removal of rules the file lacks");
  diff->add_flag("--exit-code", flags->exit_code, "Exit 1 when import would change something");
  wire(diff, [](LimitsOptions options, commands::Invocation& invocation) {
    return plan_outcome(run_diff(options, invocation.context), options.exit_code);
  });

  auto* import = family->add_subcommand(
      "import", "Make the rules those of FILE, in one transaction (audited)");
  import->add_option("FILE", flags->file, "A rule file (TOML, [[rule]] tables)")->required();
  import->add_flag("--prune", flags->prune, "Also remove rules the file lacks (asks)");
  import->add_flag("--dry-run", flags->dry_run, "Show the plan; change nothing");
  import->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  import->footer("EXAMPLES:\n  golfops limits diff limits/default-rules.toml\n  golfops limits "
                 "import limits/default-rules.toml\n  golfops limits export > rules.toml");
  wire(import, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_import(options, invocation.context))};
  });

  auto* exported = family->add_subcommand("export", "Every rule as a rule file (import reads it)");
  wire(exported, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_export(options, invocation.context))};
  });
}

} // namespace golfops::commands::limits
