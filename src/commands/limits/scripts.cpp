#include "commands/limits/scripts.hpp"

#include "core/error.hpp"

#include <array>
#include <fmt/format.h>

namespace golfops::commands::limits {
namespace {

core::redis::Script load(Algorithm algorithm) {
  for (const auto& file : limit_scripts()) {
    if (file.name == algorithm_name(algorithm)) {
      return core::redis::Script(std::string(file.text));
    }
  }
  // A build without the file is broken, not misused.
  throw core::Error(core::ExitCode::failed,
                    fmt::format("no script for {} was built in", algorithm_name(algorithm)));
}

} // namespace

const core::redis::Script& script_for(Algorithm algorithm) {
  static const std::array<core::redis::Script, 4> k_scripts{load(Algorithm::fixed_window),
                                                            load(Algorithm::sliding_window),
                                                            load(Algorithm::sliding_log),
                                                            load(Algorithm::gcra)};
  return k_scripts.at(static_cast<std::size_t>(algorithm));
}

} // namespace golfops::commands::limits
