#include "cli/selected.hpp"
#include "commands/health/health.hpp"
#include "core/units.hpp"

#include <CLI/App.hpp>
#include <memory>

namespace golfops::commands::health {

void register_health(CLI::App& app, cli::Selected& selected) {
  auto* command = app.add_subcommand(
      "health", "Probe the configured PostgreSQL and Redis in parallel, each with its latency");
  auto timeout = std::make_shared<std::string>();
  command->add_option(
      "--timeout", *timeout, "Cap on every probe, e.g. 2s (default: each client's timeouts)");
  command->footer("EXAMPLES:\n  golfops health\n  golfops health -o json --timeout 2s");
  command->callback([&selected, timeout] {
    HealthOptions options;
    if (!timeout->empty()) {
      options.timeout = core::parse_duration(*timeout, "--timeout");
    }
    selected.run = [options](cli::Invocation& invocation) {
      auto result = run_health(options, invocation.context);
      return cli::Outcome{render(result), exit_code(result)};
    };
  });
}

} // namespace golfops::commands::health
