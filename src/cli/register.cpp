#include "cli/register.hpp"

#include <CLI/App.hpp>

namespace golfops::commands {
namespace backup {
void register_backup(CLI::App& app, commands::Selected& selected);
}
namespace config {
void register_config(CLI::App& app, commands::Selected& selected);
}
namespace dev {
void register_dev(CLI::App& app, commands::Selected& selected);
}
namespace limits {
void register_limits(CLI::App& app, commands::Selected& selected);
}
namespace load {
void register_load(CLI::App& app, commands::Selected& selected);
}
namespace migrate {
void register_migrate(CLI::App& app, commands::Selected& selected);
}
namespace health {
void register_health(CLI::App& app, commands::Selected& selected);
}
namespace verify {
void register_verify(CLI::App& app, commands::Selected& selected);
}
namespace version {
void register_version(CLI::App& app, commands::Selected& selected);
}
} // namespace golfops::commands

namespace golfops::cli {

void register_commands(CLI::App& app, commands::Selected& selected) {
  // One alphabetic block: every family golfops has.
  commands::backup::register_backup(app, selected);
  commands::config::register_config(app, selected);
  commands::dev::register_dev(app, selected);
  commands::health::register_health(app, selected);
  commands::limits::register_limits(app, selected);
  commands::load::register_load(app, selected);
  commands::migrate::register_migrate(app, selected);
  commands::verify::register_verify(app, selected);
  commands::version::register_version(app, selected);
}

} // namespace golfops::cli
