#include "commands/command.hpp"
#include "commands/version/version.hpp"

#include <CLI/App.hpp>

namespace golfops::commands::version {

void register_version(CLI::App& app, commands::Selected& selected) {
  auto* command = app.add_subcommand("version", "Show golfops' version, commit and libraries");
  command->footer("EXAMPLES:\n  golfops version\n  golfops version -o json");
  command->callback([&selected] {
    selected.needs_config = false;
    selected.run = [](commands::Invocation&) { return commands::Outcome{render(run_version())}; };
  });
}

} // namespace golfops::commands::version
