#include "cli/command_tree.hpp"

#include <functional>

namespace golfops::cli {

std::vector<const CLI::App*> visible_subcommands(const CLI::App* app) {
  auto subs = app->get_subcommands(
      [](const CLI::App* candidate) { return !candidate->get_group().empty(); });
  return {subs.begin(), subs.end()};
}

std::vector<CommandNode> visible_commands(const CLI::App& root) {
  std::vector<CommandNode> nodes;
  std::function<void(const CLI::App*, std::vector<std::string>)> walk =
      [&](const CLI::App* app, std::vector<std::string> path) {
        nodes.push_back({path, app});
        for (const auto* sub : visible_subcommands(app)) {
          auto child = path;
          child.push_back(sub->get_name());
          walk(sub, child);
        }
      };
  walk(&root, {});
  return nodes;
}

} // namespace golfops::cli
