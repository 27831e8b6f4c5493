#include "core/config/schema.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace golfops::core::config {
namespace {

const std::vector<KeySpec>& keys() {
  static const std::vector<KeySpec> k_keys{
      {.name = "database.url",
       .type = ValueType::postgres_url,
       .description = "PostgreSQL URL or key=value conninfo; libpq's PG* variables fill what it "
                      "leaves out",
       .extra_environment = {"DATABASE_URL"}},
      {.name = "database.password_file",
       .type = ValueType::path,
       .description = "file holding the database password (Docker/Kubernetes secrets)"},
      {.name = "database.connect_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed to connect to PostgreSQL"},
      {.name = "database.statement_timeout",
       .type = ValueType::duration,
       .default_value = "0",
       .description = "server-side statement_timeout for golfops' sessions (0 = none)"},
      {.name = "redis.url",
       .type = ValueType::redis_url,
       .description = "redis:// or rediss:// URL: [user][:password]@host[:port][/db]",
       .extra_environment = {"REDIS_URL"}},
      {.name = "redis.password_file",
       .type = ValueType::path,
       .description = "file holding the Redis password"},
      {.name = "redis.connect_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed to connect to Redis"},
      {.name = "redis.command_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed for one Redis command or pipeline"},
      {.name = "redis.tls_ca_file",
       .type = ValueType::path,
       .description = "CA certificates for rediss:// (default: the system trust store)"},
      {.name = "log.format",
       .type = ValueType::choice,
       .default_value = "text",
       .description = "diagnostics on stderr as text lines or JSON objects",
       .choices = {"text", "json"}},
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
      {.name = "migrate.version_style",
       .type = ValueType::choice,
       .default_value = "sequential",
       .description = "versions `migrate create` writes: 0001-style or 20240101120000-style",
       .choices = {"sequential", "timestamp"}},
      {.name = "dev.state_dir",
       .type = ValueType::path,
       .description = "where `golfops dev up` keeps its throwaway servers (default: "
                      "$XDG_STATE_HOME/golfops/dev, or /var/lib/golfops/dev for root)"},
      {.name = "dev.postgres_bin_dir",
       .type = ValueType::path,
       .default_value = "/usr/lib/postgresql/15/bin",
       .description = "directory holding initdb, pg_ctl and postgres for `golfops dev`"},
      // text, not path: a bare name is looked up in PATH, as a shell would.
      {.name = "dev.redis_server",
       .default_value = "redis-server",
       .description = "the redis-server program for `golfops dev` (a name in PATH, or a path)"},
  };
  return k_keys;
}

const std::vector<TableArraySpec>& arrays() {
  static const std::vector<TableArraySpec> k_arrays{
      {.name = "health.check",
       .description = "a dependency `golfops health` probes (see docs/health.md)",
       .keys =
           {
               {.name = "name", .description = "label in output and metrics (default: the type)"},
               {.name = "type",
                .type = ValueType::choice,
                .description = "what to probe",
                .choices = {"postgres", "redis", "http", "tcp", "disk"}},
               {.name = "severity",
                .type = ValueType::choice,
                .default_value = "critical",
                .description = "a failing warning check does not fail the run",
                .choices = {"critical", "warning"}},
               {.name = "timeout",
                .type = ValueType::duration,
                .default_value = "5s",
                .description = "time allowed for the whole probe"},
               {.name = "url",
                .description =
                    "postgres/redis/http target (postgres, redis: default database.url / "
                    "redis.url)"},
               {.name = "address", .description = "tcp: host:port"},
               {.name = "path",
                .type = ValueType::path,
                .description = "disk: a path on the filesystem"},
               {.name = "min_free",
                .description = "disk: least free space, a size (10GiB) or a percentage (10%)"},
               {.name = "query", .description = "postgres: a query to run instead of SELECT 1"},
               {.name = "expect", .description = "postgres: the value the query must return"},
               {.name = "max_replication_lag",
                .type = ValueType::duration,
                .description = "postgres: on a replica, the most replay lag allowed"},
               {.name = "max_memory_percent",
                .type = ValueType::integer,
                .description = "redis: used_memory against maxmemory, in percent"},
               {.name = "method", .default_value = "GET", .description = "http: request method"},
               {.name = "headers",
                .type = ValueType::string_map,
                .description = "http: request headers"},
               {.name = "status",
                .type = ValueType::integer,
                .default_value = "200",
                .description = "http: expected status"},
               {.name = "conditions",
                .type = ValueType::string_list,
                .description =
                    "http: e.g. '$.status == \"ok\"', 'header.content-type contains json'"},
               {.name = "max_latency",
                .type = ValueType::duration,
                .description = "fail when the probe takes longer (reason latency)"},
               {.name = "ca_file",
                .type = ValueType::path,
                .description = "https: CA certificates to trust (default: the system store)"},
               {.name = "min_certificate_days",
                .type = ValueType::integer,
                .description = "https: fail when the certificate expires sooner"},
           }},
  };
  return k_arrays;
}

} // namespace

std::span<const KeySpec> schema() {
  return keys();
}

std::span<const TableArraySpec> table_arrays() {
  return arrays();
}

const TableArraySpec* find_table_array(std::string_view name) {
  for (const auto& array : arrays()) {
    if (array.name == name) {
      return &array;
    }
  }
  return nullptr;
}

const KeySpec* find_key(std::string_view name) {
  for (const auto& key : keys()) {
    if (key.name == name) {
      return &key;
    }
  }
  return nullptr;
}

std::string environment_name(std::string_view key) {
  std::string name = "GOLFOPS_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string_view closest_key(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& key : keys()) {
    names.push_back(key.name);
  }
  return closest_match(name, names);
}

} // namespace golfops::core::config
