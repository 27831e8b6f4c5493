#pragma once

#include "core/output/report.hpp"

#include <string>
#include <utility>
#include <vector>

namespace golfops::commands::version {

struct VersionResult {
  std::string version;
  std::string commit;
  std::vector<std::pair<std::string, std::string>> libraries; // name, version
};

// "0.1.0 (b473534)": what manifests and reports record as the golfops that
// wrote them.
std::string golfops_version();

// The build's version, git commit and the versions of the libraries it runs with.
VersionResult run_version();

core::output::Report render(const VersionResult& result);

} // namespace golfops::commands::version
