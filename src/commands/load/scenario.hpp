#pragma once

#include "core/load/plan.hpp"

#include <filesystem>
#include <vector>

namespace golfops::commands::load {

// A scenario file: several weighted requests to one origin.
struct Scenario {
  core::load::Origin origin;
  std::vector<core::load::RequestSpec> requests;
};

// Reads a scenario (docs/load.md); throws Error(usage) naming the file,
// line, request and key for anything it cannot use.
Scenario read_scenario(const std::filesystem::path& file);

// Parses "200" or "200,201,204" (--expect-status, expect_status).
std::vector<int> parse_statuses(std::string_view text, std::string_view field);

} // namespace golfops::commands::load
