#include "commands/command.hpp"
#include "commands/limits/limits.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/output/textfile.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <arpa/inet.h>
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
  bool no_publish = false;
  std::string revision;
  bool list = false;
  std::string ip;
  std::string user;
  std::string api_key;
  std::string cost;
  std::string top;
  std::string rule;
  std::string metrics_file;
  bool all = false;
  std::string since;
  std::string concurrency;
  std::string requests;
  std::string duration;
  std::string buckets;
  bool keep = false;
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
    if (rule.algorithm != Algorithm::gcra && !given("--burst")) {
      rule.burst = 0; // leaving gcra leaves its burst behind
    }
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

// --ip, --user, --api-key and --rule, checked before anything connects.
void check_request_flags(const Flags& flags) {
  if (!flags.ip.empty()) {
    in6_addr address{};
    if (::inet_pton(AF_INET, flags.ip.c_str(), &address) != 1 &&
        ::inet_pton(AF_INET6, flags.ip.c_str(), &address) != 1) {
      core::throw_usage(
          fmt::format("--ip: '{}' is not an IP address (e.g. 203.0.113.7 or 2001:db8::1)",
                      core::printable(flags.ip) ? flags.ip : std::string("(unprintable)")));
    }
  }
  for (const auto& [flag, value] :
       {std::pair{"--user", &flags.user}, std::pair{"--api-key", &flags.api_key}}) {
    if (!core::printable(*value) || value->size() > 256) {
      core::throw_usage(fmt::format("{}: not a {} (up to 256 printable characters, no newlines)",
                                    flag,
                                    std::string_view(flag) == "--user" ? "user" : "key"));
    }
  }
  if (!flags.rule.empty()) {
    Rule probe;
    probe.name = flags.rule;
    probe.rate = {1, 60000};
    validate(probe, [](std::string_view field) {
      return field == "name" ? std::string("--rule") : std::string(field);
    });
  }
}

LimitsOptions options_for(const Flags& flags, commands::Invocation& invocation) {
  check_flags(flags);
  check_request_flags(flags);
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
  options.publish = !flags.no_publish;
  options.key_prefix = key_prefix_from(invocation.context.config);
  // Buckets are keyed by the canonical address: 2001:DB8:0::1 and
  // 2001:db8::1 are one client.
  options.request = {flags.resource, canonical_ip(flags.ip), flags.user, flags.api_key};
  auto given = [&](const char* option) { return flags.given.contains(option); };
  if (given("--cost")) {
    options.cost = parse_integer(flags.cost, "--cost", 1);
  }
  if (!flags.revision.empty()) {
    options.revision = parse_integer(flags.revision, "REV", 1);
  }
  options.list_revisions = flags.list;
  if (given("--top")) {
    options.top = static_cast<int>(core::parse_count(flags.top, "--top", 1));
  }
  options.rule = flags.rule;
  options.all = flags.all;
  if (flags.all && (!flags.ip.empty() || !flags.user.empty() || !flags.api_key.empty())) {
    core::throw_usage("--all: not with --ip, --user or --api-key (one bucket, or all of them)");
  }
  if (flags.list && !flags.revision.empty()) {
    core::throw_usage(fmt::format("REV: '{}' given with --list (list the revisions, or roll back "
                                  "to one)",
                                  flags.revision));
  }
  if (given("--since")) {
    options.since = core::parse_duration(flags.since, "--since");
    if (*options.since < std::chrono::minutes(1) || *options.since > std::chrono::hours(24 * 8)) {
      core::throw_usage(fmt::format("--since: '{}' is out of range (1m to 8d: the scripts keep "
                                    "records for 8 days)",
                                    flags.since));
    }
  }
  if (given("--algorithm")) {
    options.algorithm = parse_algorithm(flags.algorithm, "--algorithm");
  }
  if (given("--concurrency")) {
    options.bench.concurrency =
        static_cast<int>(parse_integer(flags.concurrency, "--concurrency", 1));
    if (options.bench.concurrency > 1000) {
      core::throw_usage(
          fmt::format("--concurrency: {} is more than 1000 connections", flags.concurrency));
    }
  }
  if (given("--requests")) {
    options.bench.requests = parse_integer(flags.requests, "--requests", 1);
  }
  if (given("--duration")) {
    options.bench.duration = core::parse_duration(flags.duration, "--duration");
    if (options.bench.duration < std::chrono::milliseconds(100) ||
        options.bench.duration > std::chrono::minutes(10)) {
      core::throw_usage(
          fmt::format("--duration: '{}' is out of range (100ms to 10m)", flags.duration));
    }
    if (!given("--requests")) {
      options.bench.requests = std::numeric_limits<std::int64_t>::max();
    }
  }
  if (given("--rate")) {
    options.bench.rate = parse_rate(flags.rate, "--rate");
  }
  if (given("--burst")) {
    options.bench.burst = parse_integer(flags.burst, "--burst", 0);
  }
  if (given("--buckets")) {
    options.bench.buckets = static_cast<int>(parse_integer(flags.buckets, "--buckets", 1));
    if (options.bench.buckets > 1000000) {
      core::throw_usage(fmt::format("--buckets: {} is more than 1000000", flags.buckets));
    }
  }
  options.bench.keep = flags.keep;
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
  command->add_option("--burst", flags.burst, "gcra: requests allowed at once (0: the limit)");
  command->add_option(
      "--priority", flags.priority, "Higher decides first when several rules apply (default 0)");
  command->add_option("--description", flags.description, "What the rule is for");
  command->add_flag("--shadow", flags.shadow, "Count and report, never deny");
  if (!creating) {
    command->add_flag("--no-shadow", flags.no_shadow, "Enforce again after --shadow");
  }
}

void add_no_publish(CLI::App* command, Flags& flags) {
  command->add_flag("--no-publish",
                    flags.no_publish,
                    "Change PostgreSQL only; Redis keeps enforcing the published rules until "
                    "golfops limits publish");
}

void add_request(CLI::App* command, Flags& flags) {
  command->add_option("--resource", flags.resource, "What is requested: api_auth, create_room...");
  command->add_option("--ip", flags.ip, "The client's address (ip rules)");
  command->add_option("--user", flags.user, "The user (user rules)");
  command->add_option("--api-key", flags.api_key, "The API key (api_key rules; shown shortened)");
}

void add_since(CLI::App* command, Flags& flags, const char* fallback) {
  command->add_option("--since",
                      flags.since,
                      fmt::format("How far back: 30m, 6h, 2d (default {}; at most 8d)", fallback));
  command->add_option("--rule", flags.rule, "Only this rule");
}

void add_if_version(CLI::App* command, Flags& flags) {
  command->add_option("--if-version",
                      flags.if_version,
                      "Change it only if it is still at this version (from get or list); else "
                      "exit 1 and change nothing");
}

// Exit 1 when the check denies or drift is found: scripts test the exit code.
template <typename Result> commands::Outcome failing_when(const Result& result, bool failed) {
  commands::Outcome outcome{render(result)};
  if (failed) {
    outcome.exit_code = core::ExitCode::failed;
  }
  return outcome;
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
  add_config_keys();
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
  add_no_publish(create, *flags);
  create->footer("EXAMPLES:\n  golfops limits create login_ip --resource api_auth --rate 10/60s\n"
                 "  golfops limits create burst_api --algorithm gcra --rate 100/1m --burst 20");
  wire(create, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_create(options, invocation.context))};
  });

  auto* update = family->add_subcommand("update", "Change a rule's flags given; the rest stay");
  add_name(update, "The rule's name");
  add_rule_flags(update, *flags, false);
  add_if_version(update, *flags);
  add_no_publish(update, *flags);
  update->footer("EXAMPLES:\n  golfops limits update api_auth --rate 20/60s\n  golfops limits "
                 "update api_auth --rate 20/60s --if-version 3");
  wire(update, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_update(options, invocation.context))};
  });

  auto* remove = family->add_subcommand("delete", "Remove a rule (asks; its history stays)");
  add_name(remove, "The rule's name");
  add_if_version(remove, *flags);
  remove->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  add_no_publish(remove, *flags);
  wire(remove, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_delete(options, invocation.context))};
  });

  for (bool enabled : {true, false}) {
    auto* toggle = family->add_subcommand(enabled ? "enable" : "disable",
                                          enabled ? "Enforce a rule again"
                                                  : "Stop enforcing a rule (kept, audited)");
    add_name(toggle, "The rule's name");
    add_if_version(toggle, *flags);
    add_no_publish(toggle, *flags);
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
  add_no_publish(import, *flags);
  import->footer("EXAMPLES:\n  golfops limits diff limits/default-rules.toml\n  golfops limits "
                 "import limits/default-rules.toml\n  golfops limits export > rules.toml");
  wire(import, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_import(options, invocation.context))};
  });

  auto* exported = family->add_subcommand("export", "Every rule as a rule file (import reads it)");
  wire(exported, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_export(options, invocation.context))};
  });

  auto* publish = family->add_subcommand(
      "publish", "Write the enabled rules to Redis as a new revision and announce it");
  publish->footer("Services read <prefix>{rules} and subscribe to <prefix>rules (docs/limits.md).\n"
                  "EXAMPLES:\n  golfops limits publish\n  golfops limits drift");
  wire(publish, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_publish(options, invocation.context))};
  });

  auto* rollback = family->add_subcommand(
      "rollback", "Make Redis enforce an earlier revision's rules again (a new revision)");
  rollback->add_option("REV", flags->revision, "The revision to return to (rollback --list)");
  rollback->add_flag("--list", flags->list, "List the revisions instead");
  rollback->add_option("--limit", flags->history_limit, "With --list: the newest N (default 50)");
  rollback->footer("PostgreSQL keeps its rules: drift shows the difference until they agree.\n"
                   "EXAMPLES:\n  golfops limits rollback --list\n  golfops limits rollback 3");
  wire(rollback, [](LimitsOptions options, commands::Invocation& invocation) {
    if (options.list_revisions) {
      return commands::Outcome{render(run_revisions(options, invocation.context))};
    }
    if (options.revision == 0) {
      core::throw_usage("REV: missing (golfops limits rollback --list shows the revisions)");
    }
    return commands::Outcome{render(run_rollback(options, invocation.context))};
  });

  auto* drift = family->add_subcommand(
      "drift", "Compare PostgreSQL's enabled rules with what Redis enforces (exit 1 on drift)");
  wire(drift, [](LimitsOptions options, commands::Invocation& invocation) {
    auto result = run_drift(options, invocation.context);
    return failing_when(result, result.any());
  });

  auto* check = family->add_subcommand(
      "check", "Count one request as a service would: allowed, remaining, headers (exit 1 denied)");
  add_request(check, *flags);
  check->add_option("--cost", flags->cost, "Requests this one counts as (default 1)");
  check->footer("EXAMPLES:\n  golfops limits check --resource api_auth --ip 203.0.113.7\n"
                "  golfops limits check --resource create_room --user 42 -o json");
  wire(check, [](LimitsOptions options, commands::Invocation& invocation) {
    auto result = run_check(options, invocation.context);
    return failing_when(result, !result.allowed);
  });

  auto* explain = family->add_subcommand(
      "explain",
      "Which rules apply to a request, which decides, each bucket's state (counts nothing)");
  add_request(explain, *flags);
  wire(explain, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_explain(options, invocation.context))};
  });

  auto* usage = family->add_subcommand("usage", "The fullest buckets now (SCAN on every master)");
  usage->add_option("--top", flags->top, "How many (default 20)");
  usage->add_option("--rule", flags->rule, "Only this rule");
  wire(usage, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_usage(options, invocation.context))};
  });

  auto* reset =
      family->add_subcommand("reset", "Clear one bucket of a rule, or all of them (asks)");
  add_name(reset, "The rule's name");
  reset->add_option("--ip", flags->ip, "The bucket of this address (ip rules)");
  reset->add_option("--user", flags->user, "The bucket of this user (user rules)");
  reset->add_option("--api-key", flags->api_key, "The bucket of this API key (api_key rules)");
  reset->add_flag("--all", flags->all, "Every bucket of the rule");
  reset->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  reset->footer("EXAMPLES:\n  golfops limits reset api_auth --ip 203.0.113.7 --yes\n  golfops "
                "limits reset api_auth --all --yes");
  wire(reset, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_reset(options, invocation.context))};
  });

  auto* violations =
      family->add_subcommand("violations", "Requests over a limit, newest first (from Redis)");
  add_since(violations, *flags, "1h");
  violations->add_option("--limit", flags->history_limit, "Show the newest N (default 50)");
  wire(violations, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_violations(options, invocation.context))};
  });

  auto* stats = family->add_subcommand("stats", "Checks and denials per rule (from Redis)");
  add_since(stats, *flags, "1d");
  stats->add_option("--metrics-file",
                    flags->metrics_file,
                    "Also write the counts to PATH atomically (node_exporter's textfile "
                    "collector: golfops_ratelimit_*); a failure is written there too");
  stats->footer("EXAMPLES:\n  golfops limits stats --since 6h\n  golfops limits stats --since 1h "
                "--metrics-file /var/lib/golfops/metrics/golfops_limits.prom");
  // A failure before or during the run (bad config, Redis down) is written
  // to the metrics file, so the alert sees golfops failing, not old counts.
  selected.error_exits.push_back(commands::metrics_file_error_exit(
      "limits", std::string(k_stats_error_metric), std::string(k_stats_error_help)));
  wire(stats, [flags](LimitsOptions options, commands::Invocation& invocation) {
    if (!flags->metrics_file.empty()) {
      core::require_file_place(flags->metrics_file, "--metrics-file");
    }
    auto result = run_stats(options, invocation.context);
    if (!flags->metrics_file.empty()) {
      core::output::write_textfile(flags->metrics_file, stats_metrics_text(result));
    }
    return commands::Outcome{render(result)};
  });

  auto* script = family->add_subcommand("script", "The enforcement scripts services load (Lua)");
  script->add_option("--algorithm", flags->algorithm, "Print this algorithm's script");
  script->footer("EXAMPLES:\n  golfops limits script\n  golfops limits script --algorithm gcra > "
                 "gcra.lua");
  wire(script, [](LimitsOptions options, commands::Invocation&) {
    return commands::Outcome{render(run_script(options))};
  });

  auto* bench = family->add_subcommand(
      "bench", "Check latency and throughput against the configured Redis (bounded)");
  bench->add_option(
      "--concurrency", flags->concurrency, "Connections checking at once (default 50)");
  bench->add_option("--requests", flags->requests, "Checks in all (default 100000)");
  bench->add_option(
      "--duration", flags->duration, "Stop after this long instead: 10s (at most 10m)");
  bench->add_option("--algorithm",
                    flags->algorithm,
                    "fixed_window (default), sliding_window, "
                    "sliding_log, gcra");
  bench->add_option("--rate", flags->rate, "The bench rule's rate (default: never denies)");
  bench->add_option("--burst", flags->burst, "gcra: requests allowed at once (0: the limit)");
  bench->add_option("--buckets", flags->buckets, "Spread checks over N buckets (default 1)");
  bench->add_flag("--keep", flags->keep, "Leave the bench buckets in Redis afterwards");
  bench->footer("EXAMPLES:\n  golfops limits bench --concurrency 50 --requests 200000\n  golfops "
                "limits bench --algorithm sliding_log --rate 100/1h --concurrency 200 --requests "
                "1000");
  wire(bench, [](LimitsOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_bench(options, invocation.context))};
  });
}

} // namespace golfops::commands::limits
