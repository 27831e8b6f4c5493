#pragma once

#include <CLI/App.hpp>
#include <string>
#include <vector>

namespace golfops::cli {

// A command users can type: its subcommand names below the root ("backup",
// "list") and its CLI11 definition. Hidden commands (no group) are left out.
struct CommandNode {
  std::vector<std::string> path;
  const CLI::App* app;
};

// The root first, then every visible command depth first, in definition order.
std::vector<CommandNode> visible_commands(const CLI::App& root);

// A command's visible direct subcommands.
std::vector<const CLI::App*> visible_subcommands(const CLI::App* app);

} // namespace golfops::cli
