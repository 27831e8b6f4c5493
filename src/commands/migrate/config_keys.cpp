#include "commands/migrate/migrate.hpp"
#include "core/config/schema.hpp"

namespace golfops::commands::migrate {

// The [migrate] keys: read by options_from(), documented by config show.
void add_config_keys() {
  using core::config::ValueType;
  core::config::add_keys({
      {.name = "migrate.dir",
       .type = ValueType::path,
       .default_value = "migrations",
       .description = "directory holding the migration files"},
      {.name = "migrate.schema",
       .type = ValueType::text,
       .default_value = "public",
       .description = "schema of the state table golfops_schema_migrations"},
      {.name = "migrate.table",
       .type = ValueType::text,
       .default_value = "golfops_schema_migrations",
       .description = "name of the state table"},
      {.name = "migrate.lock_wait",
       .type = ValueType::duration,
       .default_value = "60s",
       .description = "how long `migrate` waits for another run's advisory lock (exit 4 after)"},
      {.name = "migrate.ddl_lock_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "lock_timeout for each migration, so DDL never queues behind a long "
                      "transaction and blocks the table"},
      {.name = "migrate.ddl_retries",
       .type = ValueType::integer,
       .default_value = "5",
       .description = "retries of a migration that hit ddl_lock_timeout (backoff with jitter)"},
      {.name = "migrate.allow_out_of_order",
       .type = ValueType::boolean,
       .default_value = "false",
       .description = "apply a pending migration older than the newest applied one"},
      {.name = "migrate.archived_below",
       .type = ValueType::text,
       .default_value = "",
       .description = "version below which applied migrations may have no file (archived "
                      "old files): shown as archived, never reported missing"},
      {.name = "migrate.version_style",
       .type = ValueType::choice,
       .default_value = "sequential",
       .description = "versions `migrate create` writes: 0001-style or 20240101120000-style",
       .choices = {"sequential", "timestamp"}},
  });
}

} // namespace golfops::commands::migrate
