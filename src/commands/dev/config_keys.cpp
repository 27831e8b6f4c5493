#include "commands/dev/dev.hpp"
#include "core/config/schema.hpp"

namespace golfops::commands::dev {

// The [dev] keys: where `golfops dev` keeps its servers and which programs it runs.
void add_config_keys() {
  using core::config::ValueType;
  core::config::add_keys({
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
  });
}

} // namespace golfops::commands::dev
