#include "commands/command.hpp"
#include "commands/config/config.hpp"

#include <CLI/App.hpp>

namespace golfops::commands::config {

void register_config(CLI::App& app, commands::Selected& selected) {
  auto* family = app.add_subcommand("config", "Show and validate golfops' configuration");
  family->require_subcommand(1);

  auto* show = family->add_subcommand(
      "show", "Show the effective configuration and where each value came from (secrets redacted)");
  show->footer("EXAMPLES:\n  golfops config show\n  golfops --env staging config show -o json");
  show->callback([&selected] {
    selected.reports_config_problems = true;
    selected.run = [](commands::Invocation& invocation) {
      return commands::Outcome{render(run_show(invocation.context.config))};
    };
  });

  auto* validate = family->add_subcommand(
      "validate",
      "Check the configuration; one line per problem naming key, value and what is allowed");
  validate->footer("EXAMPLES:\n  golfops config validate\n  golfops --config "
                   "/etc/golfops/config.toml config validate");
  validate->callback([&selected] {
    selected.reports_config_problems = true;
    selected.run = [](commands::Invocation& invocation) {
      auto result = run_validate(invocation.context.config);
      commands::Outcome outcome{render(result)};
      if (!result.problems.empty()) {
        outcome.exit_code = core::ExitCode::usage;
        outcome.errors = result.problems;
      }
      return outcome;
    };
  });
}

} // namespace golfops::commands::config
