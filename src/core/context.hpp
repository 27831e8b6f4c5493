#pragma once

#include "core/config/config.hpp"
#include "core/output/log.hpp"
#include "core/output/progress.hpp"

namespace golfops::core {

// What every command's run() receives: the effective configuration and the
// diagnostics sink. Commands return results; they never print or exit.
struct Context {
  const config::Config& config;
  const output::Logger& log;
  output::Progress& progress;
};

} // namespace golfops::core
