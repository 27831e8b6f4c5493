#define DOCTEST_CONFIG_IMPLEMENT
#include "commands/dev/dev.hpp"
#include "commands/health/health.hpp"
#include "commands/migrate/migrate.hpp"

#include <doctest/doctest.h>

int main(int argc, char** argv) {
  // The schema is assembled by the families, as cli does before loading config.
  golfops::commands::dev::add_config_keys();
  golfops::commands::health::add_config_keys();
  golfops::commands::migrate::add_config_keys();
  doctest::Context context(argc, argv);
  return context.run();
}
