#include "commands/command.hpp"
#include "commands/dev/dev.hpp"

#include <CLI/App.hpp>
#include <memory>

namespace golfops::commands::dev {

void register_dev(CLI::App& app, commands::Selected& selected) {
  add_config_keys();
  auto* family = app.add_subcommand(
      "dev", "A throwaway local PostgreSQL 15 and Redis for trying golfops and for development");
  family->require_subcommand(1);
  auto options = std::make_shared<DevOptions>();
  auto add_state_dir = [&](CLI::App* command) {
    command->add_option(
        "--state-dir", options->state_dir, "Where the servers live (default: dev.state_dir)");
  };

  auto* up =
      family->add_subcommand("up", "Start the servers on free 127.0.0.1 ports and write a config");
  add_state_dir(up);
  up->footer("EXAMPLES:\n  golfops dev up\n  export GOLFOPS_CONFIG=$(golfops dev status -o json | "
             "jq -r .config_file)");
  up->callback([&selected, options] {
    selected.run = [options](commands::Invocation& invocation) {
      return commands::Outcome{render(run_dev_up(*options, invocation.context))};
    };
  });

  auto* down = family->add_subcommand("down", "Stop the servers golfops started");
  add_state_dir(down);
  down->add_flag(
      "--purge", options->purge, "Also delete the state directory and its data (asks, or --yes)");
  down->add_flag("-y,--yes", options->yes, "Do not ask: required for --purge without a terminal");
  down->footer("EXAMPLES:\n  golfops dev down\n  golfops dev down --purge --yes");
  down->callback([&selected, options] {
    selected.run = [options](commands::Invocation& invocation) {
      return commands::Outcome{render(run_dev_down(*options, invocation.context))};
    };
  });

  auto* status = family->add_subcommand("status", "Show whether the servers are running");
  add_state_dir(status);
  status->callback([&selected, options] {
    selected.run = [options](commands::Invocation& invocation) {
      auto result = run_dev_status(*options, invocation.context);
      bool running =
          !result.servers.empty() && std::all_of(result.servers.begin(),
                                                 result.servers.end(),
                                                 [](const auto& server) { return server.running; });
      return commands::Outcome{render(result),
                               running ? core::ExitCode::ok : core::ExitCode::failed};
    };
  });
}

} // namespace golfops::commands::dev
