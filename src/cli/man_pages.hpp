#pragma once

#include <CLI/App.hpp>
#include <string>
#include <vector>

namespace golfops::cli {

struct ManPage {
  std::string file_name; // golfops.1, golfops-backup.1
  std::string text;      // roff
};

// golfops(1) (the overview: global options, the families, exit status,
// environment, files), then golfops-FAMILY(1) for each top-level command
// with every subcommand's options and examples, all from the CLI
// definitions so a flag is documented in one place.
std::vector<ManPage> man_pages(const CLI::App& app, const std::string& version);

} // namespace golfops::cli
