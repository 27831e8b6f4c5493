#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "commands/backup/restore_archive.hpp"
#include "commands/backup/transfer.hpp"
#include "core/error.hpp"
#include "core/pg/client.hpp"

#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

bool database_exists(core::pg::Client& admin, const std::string& name) {
  return admin.execute("SELECT 1 FROM pg_database WHERE datname = $1", {name}).rows() > 0;
}

// Tables outside the system schemas: a database holding some is not a
// place to restore into without being sure.
std::size_t user_tables(core::pg::Client& admin, const std::string& database) {
  core::pg::Client client(core::pg::settings_like(admin, database));
  return std::stoull(client
                         .execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                  "c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT "
                                  "IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE "
                                  "'pg_toast%'")
                         .text(0, 0));
}

} // namespace

RestoreResult run_restore(const BackupOptions& options, core::Context& context) {
  auto manifest = find_backup(options, options.chosen_database(), options.id);
  if (is_redis_backup(manifest)) {
    core::throw_usage(fmt::format(
        "ID: {} is a Redis backup: restore it with golfops restore --redis", manifest.id));
  }
  key_for(options, manifest); // a missing or wrong key stops it before anything changes
  core::pg::Client admin(core::pg::settings_from(context.config));
  RestoreResult result;
  result.manifest = manifest;
  result.target_db = options.target_db.empty() ? manifest.database : options.target_db;
  const auto& target = result.target_db;
  auto where = fmt::format("{} (database {})", admin.target(), target);
  if (!database_exists(admin, target)) {
    if (!options.create) {
      core::throw_usage(fmt::format("--target-db: database '{}' does not exist on {}; add --create "
                                    "to create it",
                                    target,
                                    admin.target()));
    }
  } else if (auto tables = user_tables(admin, target); tables > 0 || options.clean) {
    if (tables > 0 && !options.yes && !context.confirm.interactive()) {
      core::throw_refused(fmt::format("database '{}' already has {} table(s): restoring backup {} "
                                      "into it would mix the two or fail halfway; restore into a "
                                      "new one (--target-db NAME --create), or pass --yes{}",
                                      target,
                                      tables,
                                      manifest.id,
                                      options.clean ? ""
                                                    : " (with --clean to drop the backup's "
                                                      "objects first)"));
    }
    context.confirm.require(
        options.yes,
        options.clean
            ? fmt::format("restore of backup {} with --clean (drops and recreates every object "
                          "the backup holds, {} table(s) there now)",
                          manifest.id,
                          tables)
            : fmt::format(
                  "restore of backup {} into a database with {} table(s)", manifest.id, tables),
        where);
  }
  auto started = std::chrono::steady_clock::now();
  bool changing = false; // past the checks: the target is being written
  auto create = [&] {
    changing = true;
    if (!database_exists(admin, target)) {
      admin.execute("CREATE DATABASE " + admin.quote_identifier(target));
      result.created = true;
    }
  };
  LoadedRows loaded;
  try {
    loaded = restore_archive(options, manifest, admin, target, create, context);
  } catch (const core::Error&) {
    if (result.created) {
      // Ours and incomplete: gone, so a rerun with --create starts clean.
      drop_created_database(admin, target, context);
    } else if (changing) {
      // Not ours: left as it is, and said so (an interruption included).
      context.log.warning(fmt::format(
          "the restore of backup {} into {} stopped part-way: the database now holds part of the "
          "backup{}; restore again with --clean --yes, or into a new database with --create",
          manifest.id,
          where,
          options.clean ? " (--clean dropped what it replaced)" : ""));
    }
    throw;
  }
  result.tables = count_restored(manifest, admin, target, loaded, result.mismatches);
  result.rows_loaded_by = loaded ? "golfops" : "pg_restore";
  result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  context.progress.finish();
  return result;
}

} // namespace golfops::commands::backup
