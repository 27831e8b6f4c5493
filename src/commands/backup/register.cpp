#include "commands/backup/backup.hpp"
#include "commands/command.hpp"
#include "core/checks/check.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/output/textfile.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

namespace golfops::commands::backup {
namespace {

struct Flags {
  std::string dir;
  std::string database;
  std::string label;
  std::string id = "latest";
  bool restore_test = false;
  bool dry_run = false;
  bool yes = false;
  std::string target_db;
  bool create = false;
  bool clean = false;
  std::string jobs;
  std::string metrics_file;
  std::string key_file;
  bool encrypt = false;
  bool redis = false;
  bool database_given = false; // --database '' is a mistake, not "the default"
  bool target_db_given = false;
  bool jobs_given = false;
  bool key_file_given = false;
  bool metrics_written = false; // by the run itself: the error exit leaves the file alone
};

// The metrics file's directory must exist: a typo is a usage error before
// anything runs, not a lost file after a backup.
std::filesystem::path require_metrics_file(const std::string& path) {
  core::require_file_place(path, "--metrics-file");
  return path;
}

// A database name becomes a directory under backup.dir: no separators, no
// "." or "..", nothing unprintable.
std::string require_database_name(const std::string& name, std::string_view field) {
  bool printable = core::printable(name);
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      !printable || name.size() > 63) {
    core::throw_usage(fmt::format("{}: '{}' is not a database name (1 to 63 printable "
                                  "characters, no '/', not . or ..)",
                                  field,
                                  name));
  }
  return name;
}

BackupOptions options_for(const Flags& flags, commands::Invocation& invocation) {
  auto options = options_from(invocation.context.config);
  if (flags.database_given) {
    options.database = require_database_name(flags.database, "--database");
  }
  if (flags.label.size() > 200 || !core::printable(flags.label)) {
    core::throw_usage(
        "--label: not a label (up to 200 printable characters, no control characters such as "
        "newlines)");
  }
  options.label = flags.label;
  if (flags.id.empty() || flags.id.find('/') != std::string::npos) {
    core::throw_usage(fmt::format("ID: '{}' is not a backup id (latest, an id from `golfops "
                                  "backup list`, or a unique part of one)",
                                  flags.id));
  }
  options.id = flags.id;
  options.redis = flags.redis;
  if (options.redis && !flags.database.empty()) {
    core::throw_usage("--redis: not with --database (Redis backups live under <backup.dir>/redis)");
  }
  if (options.redis) {
    options.database = "redis";
  }
  options.restore_test = flags.restore_test;
  options.dry_run = flags.dry_run;
  options.yes = flags.yes;
  if (flags.target_db_given) {
    options.target_db = require_database_name(flags.target_db, "--target-db");
  }
  options.create = flags.create;
  options.clean = flags.clean;
  if (flags.key_file_given && flags.key_file.empty()) {
    core::throw_usage("--key-file: '' is not a key file (a file with 64 hex digits)");
  }
  options.key_file_from_flag = flags.key_file_given;
  if (flags.jobs_given) {
    auto jobs = core::parse_count(flags.jobs, "--jobs");
    if (jobs > 64) {
      core::throw_usage(fmt::format("--jobs: {} is too many (1 to 64)", jobs));
    }
    options.jobs = static_cast<int>(jobs);
  }
  return options;
}

commands::Outcome verify_outcome(const VerifyResult& result) {
  commands::Outcome outcome{render(result)};
  if (!result.ok) {
    outcome.exit_code = core::ExitCode::failed;
    outcome.errors = result.problems;
  }
  return outcome;
}

commands::Outcome restore_outcome(const RestoreResult& result) {
  commands::Outcome outcome{render(result)};
  if (!result.mismatches.empty()) {
    outcome.exit_code = core::ExitCode::failed;
    outcome.errors = result.mismatches;
  }
  return outcome;
}

void add_dir(CLI::App* command, Flags& flags) {
  command->add_option("--dir", flags.dir, "Backup directory (default: backup.dir, backups)");
}

void add_key_file(CLI::App* command, Flags& flags) {
  command->add_option("--key-file",
                      flags.key_file,
                      "Key of encrypted backups: 64 hex digits, e.g. from openssl rand -hex 32 "
                      "(default: backup.encryption_key_file)");
}

} // namespace

core::checks::CheckResult probe_backup(const core::checks::CheckSpec& spec,
                                       const core::config::Config& config);

void register_backup(CLI::App& app, commands::Selected& selected) {
  add_config_keys();
  core::checks::register_probe(core::checks::CheckType::backup, probe_backup);
  auto flags = std::make_shared<Flags>();
  // With --metrics-file, a failure before the command runs (bad config) is
  // written there too, so the textfile collector sees golfops failing.
  selected.error_exits.push_back(commands::metrics_file_error_exit(
      "backup", "golfops_backup_error", "1 when the last golfops backup command failed.", [flags] {
        return flags->metrics_written;
      }));
  core::config::add_validator([](const core::config::Config& config) { options_from(config); });
  // How a verb runs: under cron (silent on success without a terminal)
  // and with --metrics-file (refreshed after the run, failed or not).
  struct Wiring {
    bool cron = false;
    bool metrics = false;
  };
  auto wire = [&selected, flags](CLI::App* command, Wiring how, auto&& run) {
    if (how.metrics) {
      command->add_option("--metrics-file",
                          flags->metrics_file,
                          "Also write Prometheus metrics to PATH atomically (node_exporter's "
                          "textfile collector): last success, duration, size, verified, error");
    }
    command->callback([&selected, flags, run, command, how] {
      if (!command->get_subcommands().empty()) {
        return; // a verb below this one was chosen
      }
      auto given = [command](const char* name) {
        const auto* option = command->get_option_no_throw(name);
        return option != nullptr && option->count() > 0;
      };
      flags->database_given = given("--database");
      flags->target_db_given = given("--target-db");
      flags->jobs_given = given("--jobs");
      flags->key_file_given = given("--key-file");
      if (given("--dir")) {
        selected.config_flags["backup.dir"] = {flags->dir, "--dir"};
      }
      if (flags->key_file_given) {
        selected.config_flags["backup.encryption_key_file"] = {flags->key_file, "--key-file"};
      }
      if (flags->encrypt) {
        selected.config_flags["backup.encrypt"] = {"true", "--encrypt"};
      }
      // A dry run exists for its output: never silent.
      selected.silent_unless_terminal = how.cron && !flags->dry_run;
      selected.run = [flags, run, how](commands::Invocation& invocation) {
        auto options = options_for(*flags, invocation);
        if (!how.metrics || flags->metrics_file.empty()) {
          return run(options, invocation);
        }
        auto path = require_metrics_file(flags->metrics_file);
        auto database = options.chosen_database();
        try {
          auto outcome = run(options, invocation);
          write_metrics_file(path, options, database, nullptr);
          return outcome;
        } catch (const std::exception& failure) {
          // Any failure (a filesystem error included) keeps the catalog's
          // gauges beside the error, so alerts on the last success go on.
          const auto* error = dynamic_cast<const core::Error*>(&failure);
          core::Error generic(core::ExitCode::failed, failure.what());
          try {
            write_metrics_file(path, options, database, error != nullptr ? error : &generic);
            flags->metrics_written = true;
          } catch (const std::exception&) {
            // The error being reported matters more than the file.
          }
          throw;
        }
      };
    });
  };

  auto* backup = app.add_subcommand(
      "backup", "Back up PostgreSQL: pg_dump compressed with zstd, checksummed, safe from cron");
  backup->require_subcommand(0, 1);
  add_dir(backup, *flags);
  backup->add_option(
      "--database", flags->database, "Database to back up (default: database.url's)");
  backup->add_option("--label", flags->label, "A note kept in the manifest (e.g. pre-deploy)");
  backup->add_flag("--redis",
                   flags->redis,
                   "Back up redis.url's Redis instead: an RDB snapshot taken as a replica would");
  backup->add_flag("--encrypt",
                   flags->encrypt,
                   "Encrypt the backup (AES-256-GCM) with --key-file's key (default: "
                   "backup.encrypt)");
  add_key_file(backup, *flags);
  backup->footer("Without a terminal (cron) a successful backup prints nothing unless --verbose "
                 "or -o json.\n\nEXAMPLES:\n  golfops backup\n  golfops backup --label "
                 "before-v2.3\n  golfops backup && golfops backup verify latest && golfops backup "
                 "prune --yes");
  wire(backup,
       {.cron = true, .metrics = true},
       [](BackupOptions options, commands::Invocation& invocation) {
         if (options.key_file_from_flag && !options.encrypt) {
           core::throw_usage("--key-file: given without --encrypt (backup.encrypt); add --encrypt "
                             "to encrypt this backup");
         }
         return commands::Outcome{render(options.redis
                                             ? run_redis_backup(options, invocation.context)
                                             : run_backup(options, invocation.context))};
       });

  auto* list = backup->add_subcommand("list", "Backups, newest first: size, age, verified");
  // Its own footer: CLI11 copies the parent's (backup's cron note) otherwise.
  list->footer("EXAMPLES:\n  golfops backup list\n  golfops backup list --redis\n  golfops backup "
               "list -o json");
  add_dir(list, *flags);
  list->add_option("--database", flags->database, "Only this database's backups (default: all)");
  list->add_flag("--redis", flags->redis, "Only the Redis backups (backup --redis)");
  wire(list, {}, [](BackupOptions options, commands::Invocation& invocation) {
    auto result = run_list(options, invocation.context);
    return commands::Outcome{render(result)};
  });

  auto* verify = backup->add_subcommand(
      "verify", "Check a backup: checksum, the whole archive, optionally a real restore");
  add_dir(verify, *flags);
  verify->add_option("ID", flags->id, "Backup id, a unique part of one, or latest (default)");
  verify->add_option(
      "--database", flags->database, "Database whose latest backup (default: database.url's)");
  verify->add_flag("--redis", flags->redis, "The latest Redis backup (backup --redis)");
  add_key_file(verify, *flags);
  verify->add_flag("--restore-test",
                   flags->restore_test,
                   "Also restore into a throwaway database and compare every table's rows");
  verify->footer("EXAMPLES:\n  golfops backup verify\n  golfops backup verify 20261125T0300 "
                 "--restore-test");
  wire(verify, {.metrics = true}, [](BackupOptions options, commands::Invocation& invocation) {
    return verify_outcome(run_verify(options, invocation.context));
  });

  auto* prune = backup->add_subcommand(
      "prune", "Delete backups the retention policy (backup.keep_*) no longer keeps");
  add_dir(prune, *flags);
  prune->add_option(
      "--database", flags->database, "Database whose backups (default: database.url's)");
  prune->add_flag("--redis", flags->redis, "Prune the Redis backups (backup --redis)");
  prune->add_flag("--dry-run", flags->dry_run, "Show what would be removed; remove nothing");
  prune->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  prune->footer("The newest verified backup is always kept.\n\nEXAMPLES:\n  golfops backup prune "
                "--dry-run\n  golfops backup prune --yes");
  wire(prune,
       {.cron = true, .metrics = true},
       [](BackupOptions options, commands::Invocation& invocation) {
         return commands::Outcome{render(run_prune(options, invocation.context))};
       });

  auto* restore = app.add_subcommand(
      "restore", "Restore a backup into a database (checksum first, parallel pg_restore)");
  add_dir(restore, *flags);
  restore->add_option("ID", flags->id, "Backup id, a unique part of one, or latest (default)");
  restore->add_option(
      "--database", flags->database, "Whose backups 'latest' means (default: database.url's)");
  restore->add_option(
      "--target-db", flags->target_db, "Database to restore into (default: the backup's)");
  restore->add_flag("--create", flags->create, "Create the target database when it does not exist");
  restore->add_option(
      "-j,--jobs", flags->jobs, "Parallel pg_restore workers (default: backup.jobs, 2)");
  restore->add_flag(
      "--clean", flags->clean, "Drop the backup's objects in the target first (asks)");
  restore->add_flag("-y,--yes", flags->yes, "Do not ask: required when stdin is not a terminal");
  add_key_file(restore, *flags);
  restore->add_flag("--redis",
                    flags->redis,
                    "Restore a Redis backup into redis.url's server (replaces every key; asks)");
  restore->footer("EXAMPLES:\n  golfops restore latest --target-db golf_restore --create\n  "
                  "golfops restore 20261125T030001Z-1a2b3c4d --target-db golf --clean --yes");
  wire(restore, {}, [](BackupOptions options, commands::Invocation& invocation) {
    return restore_outcome(options.redis ? run_redis_restore(options, invocation.context)
                                         : run_restore(options, invocation.context));
  });
}

} // namespace golfops::commands::backup
