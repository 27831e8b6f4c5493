#pragma once

#include "commands/limits/rule.hpp"
#include "core/embedded.hpp"
#include "core/redis/client.hpp"

#include <span>

namespace golfops::commands::limits {

// limits/scripts/*.lua, compiled in (cmake/Embed.cmake): one per algorithm.
std::span<const core::EmbeddedFile> limit_scripts();

// The enforcement script of an algorithm, with its SHA1 for EVALSHA.
const core::redis::Script& script_for(Algorithm algorithm);

} // namespace golfops::commands::limits
