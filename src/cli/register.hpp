#pragma once

#include "cli/selected.hpp"

namespace CLI {
class App;
}

namespace golfops::cli {

// Registers every command family on `app`.
void register_commands(CLI::App& app, Selected& selected);

} // namespace golfops::cli
