#pragma once

#include "core/cancel.hpp"
#include "core/config/config.hpp"
#include "core/output/confirm.hpp"
#include "core/output/log.hpp"
#include "core/output/progress.hpp"

namespace golfops::core {

// What every command's run() receives: the effective configuration, the
// diagnostics sink, progress, the confirmation prompt and the cancellation
// token (SIGINT/SIGTERM). Commands return results; they never print or exit.
struct Context {
  const config::Config& config;
  const output::Logger& log;
  output::Progress& progress;
  const output::Confirm& confirm;
  const Cancellation& cancel;
};

} // namespace golfops::core
