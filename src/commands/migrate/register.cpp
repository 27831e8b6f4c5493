#include "commands/command.hpp"
#include "commands/migrate/migrate.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <memory>

namespace golfops::commands::migrate {
namespace {

// Flags that set migrate.* keys go through config, so flag > env > file holds.
struct Flags {
  std::string dir;
  std::string lock_timeout;
  std::string ddl_lock_timeout;
  bool allow_out_of_order = false;
  std::string count;
  std::string target;
  bool yes = false;
  bool exit_code = false;
  bool pending = false;
  bool timestamp = false;
  std::string name;
  std::string version;
};

void add_common(CLI::App* command, Flags& flags) {
  command->add_option(
      "--dir", flags.dir, "Migrations directory (default: migrate.dir, migrations)");
  command->add_option(
      "--lock-timeout",
      flags.lock_timeout,
      "Wait this long for another run's lock, then exit 4 (default: migrate.lock_wait, 60s)");
}

void finish_flags(const Flags& flags, commands::Selected& selected) {
  if (!flags.dir.empty()) {
    selected.config_flags["migrate.dir"] = {flags.dir, "--dir"};
  }
  if (!flags.lock_timeout.empty()) {
    selected.config_flags["migrate.lock_wait"] = {flags.lock_timeout, "--lock-timeout"};
  }
  if (!flags.ddl_lock_timeout.empty()) {
    selected.config_flags["migrate.ddl_lock_timeout"] = {flags.ddl_lock_timeout,
                                                         "--ddl-lock-timeout"};
  }
  if (flags.allow_out_of_order) {
    selected.config_flags["migrate.allow_out_of_order"] = {"true", "--allow-out-of-order"};
  }
  if (flags.timestamp) {
    selected.config_flags["migrate.version_style"] = {"timestamp", "--timestamp"};
  }
}

MigrateOptions options_for(const Flags& flags, commands::Invocation& invocation) {
  auto options = options_from(invocation.context.config);
  if (!flags.count.empty()) {
    options.count = core::parse_count(flags.count, "N");
  }
  if (!flags.target.empty()) {
    options.target = flags.target;
  }
  options.yes = flags.yes;
  options.name = flags.name;
  options.version = flags.version;
  options.force_pending = flags.pending;
  return options;
}

commands::Outcome run_outcome(const RunResult& result) {
  commands::Outcome outcome{render(result)};
  if (!result.failure.empty()) {
    outcome.exit_code = result.interrupted.value_or(core::ExitCode::failed);
    outcome.errors = result.failure;
    outcome.error_fields = result.failure_fields;
  }
  return outcome;
}

} // namespace

void register_migrate(CLI::App& app, commands::Selected& selected) {
  add_config_keys();
  core::config::add_validator([](const core::config::Config& config) { options_from(config); });
  auto* family = app.add_subcommand("migrate", "PostgreSQL schema migrations: safe, locked, fast");
  family->require_subcommand(1);
  auto flags = std::make_shared<Flags>();
  auto wire = [&selected, flags](CLI::App* command, auto&& run) {
    command->callback([&selected, flags, run] {
      finish_flags(*flags, selected);
      selected.run = [flags, run](commands::Invocation& invocation) {
        return run(options_for(*flags, invocation), invocation);
      };
    });
  };

  auto* up = family->add_subcommand("up", "Apply pending migrations, each in its own transaction");
  add_common(up, *flags);
  up->add_option("N", flags->count, "Apply at most N migrations");
  up->add_option("--to", flags->target, "Apply up to and including version V");
  up->add_option("--ddl-lock-timeout",
                 flags->ddl_lock_timeout,
                 "lock_timeout per migration (default: migrate.ddl_lock_timeout, 5s)");
  up->add_flag("--allow-out-of-order",
               flags->allow_out_of_order,
               "Apply pending migrations older than the newest applied one");
  up->footer("EXAMPLES:\n  golfops migrate up\n  golfops migrate up 1\n  golfops migrate up --to "
             "20240101120000");
  wire(up, [](MigrateOptions options, commands::Invocation& invocation) {
    return run_outcome(run_up(options, invocation.context));
  });

  auto* down = family->add_subcommand(
      "down", "Revert applied migrations, newest first (asks, or needs --yes)");
  add_common(down, *flags);
  down->add_option("N", flags->count, "Revert N migrations (default 1)");
  down->add_option("--to", flags->target, "Revert every migration newer than version V");
  down->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  down->footer("EXAMPLES:\n  golfops migrate down --yes\n  golfops migrate down --to 3 --yes");
  wire(down, [](MigrateOptions options, commands::Invocation& invocation) {
    return run_outcome(run_down(options, invocation.context));
  });

  auto* redo = family->add_subcommand(
      "redo", "Revert and re-apply the newest migration (asks, or needs --yes)");
  add_common(redo, *flags);
  redo->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  wire(redo, [](MigrateOptions options, commands::Invocation& invocation) {
    return run_outcome(run_redo(options, invocation.context));
  });

  auto* status = family->add_subcommand("status", "Show applied and pending migrations");
  add_common(status, *flags);
  status->add_flag("--exit-code",
                   flags->exit_code,
                   "Exit 1 when migrations are pending or failed, or a file has a problem");
  status->footer(
      "EXAMPLES:\n  golfops migrate status\n  golfops migrate status --exit-code || echo pending");
  wire(status, [flags](MigrateOptions options, commands::Invocation& invocation) {
    auto result = run_status(options, invocation.context);
    commands::Outcome outcome{render(result)};
    // "Is the database exactly what the files say?": a failed or edited
    // migration must fail a deploy gate as surely as a pending one.
    if (flags->exit_code && (result.pending > 0 || result.failed > 0 || !result.problems.empty())) {
      outcome.exit_code = core::ExitCode::failed;
    }
    return outcome;
  });

  auto* validate = family->add_subcommand(
      "validate",
      "Check applied files are unchanged and present, and nothing pending is out of order");
  add_common(validate, *flags);
  validate->add_flag(
      "--allow-out-of-order", flags->allow_out_of_order, "Do not report out-of-order files");
  wire(validate, [](MigrateOptions options, commands::Invocation& invocation) {
    auto result = run_validate(options, invocation.context);
    commands::Outcome outcome{render(result)};
    outcome.report.json["valid"] = result.problems.empty();
    if (result.problems.empty()) {
      outcome.report.notes.push_back(
          std::string("valid: every applied migration's file is present and unchanged") +
          (options.allow_out_of_order ? "" : ", and nothing pending is out of order"));
    } else {
      outcome.exit_code = core::ExitCode::failed;
      outcome.errors = result.problems;
    }
    return outcome;
  });

  auto* history =
      family->add_subcommand("history", "Applied migrations with who, when and how long");
  add_common(history, *flags);
  wire(history, [](MigrateOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_history(options, invocation.context))};
  });

  auto* plan = family->add_subcommand(
      "plan", "Print exactly the SQL `up` (or `down`) would run; change nothing");
  add_common(plan, *flags);
  auto direction = std::make_shared<std::string>("up");
  plan->add_option("DIRECTION", *direction, "up or down")->check(CLI::IsMember({"up", "down"}));
  // CLI11 checked the word; the command gets the enum.
  plan->add_option("N", flags->count, "At most N migrations");
  plan->add_option("--to", flags->target, "Up to (or, for down, back to) version V");
  wire(plan, [direction](MigrateOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_plan(
        options, *direction == "down" ? Direction::down : Direction::up, invocation.context))};
  });

  auto* create = family->add_subcommand("create", "Write NNNN_NAME.up.sql and .down.sql");
  create->add_option("NAME", flags->name, "lower_case_name")->required();
  create->add_option("--dir", flags->dir, "Migrations directory (default: migrate.dir)");
  create->add_flag(
      "--timestamp", flags->timestamp, "Use a UTC timestamp version instead of the next number");
  wire(create, [](MigrateOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_create(options, invocation.context))};
  });

  auto* adopt = family->add_subcommand(
      "adopt", "Take over from golang-migrate, dbmate or Flyway: record what they applied");
  add_common(adopt, *flags);
  adopt->footer("Reads schema_migrations (golang-migrate, dbmate) or flyway_schema_history in "
                "migrate.schema, records every local migration it lists as applied, and leaves "
                "that table as it was. A dirty or failed state is refused (exit 4).\n\n"
                "EXAMPLES:\n  golfops migrate adopt --dir db/migrations\n  golfops migrate status");
  wire(adopt, [](MigrateOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_adopt(options, invocation.context))};
  });

  auto* baseline = family->add_subcommand(
      "baseline", "Adopt an existing database: record every migration up to V as applied");
  add_common(baseline, *flags);
  baseline->add_option("VERSION", flags->version, "Newest version the database already has")
      ->required();
  wire(baseline, [](MigrateOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_baseline(options, invocation.context))};
  });

  auto* force = family->add_subcommand(
      "force", "Last resort: repair bookkeeping for version V without running anything");
  add_common(force, *flags);
  force->add_option("VERSION", flags->version, "The version to mark")->required();
  force->add_flag("--pending", flags->pending, "Forget V instead, so `up` runs it again");
  force->footer("Use after repairing a failed no-transaction migration by hand.\n\nEXAMPLES:\n"
                "  golfops migrate force 12\n  golfops migrate force 12 --pending");
  wire(force, [](MigrateOptions options, commands::Invocation& invocation) {
    return commands::Outcome{render(run_force(options, invocation.context))};
  });
}

} // namespace golfops::commands::migrate
