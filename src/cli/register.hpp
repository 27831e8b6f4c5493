#pragma once

#include "commands/command.hpp"

namespace CLI {
class App;
}

namespace golfops::cli {

// Registers every command family on `app`.
void register_commands(CLI::App& app, commands::Selected& selected);

} // namespace golfops::cli
