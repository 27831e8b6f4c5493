#pragma once

#include <CLI/App.hpp>
#include <string>

namespace golfops::cli {

// Shell completion scripts, generated from the CLI11 definitions so a flag
// is documented in exactly one place.
std::string completion_script(const CLI::App& app, const std::string& shell);

// Everything generated from the CLI definitions that the repository commits
// and packages install: man/*.1 and completions/ (golfops.bash, _golfops,
// golfops.fish), as paths relative to the repository's top.
struct GeneratedFile {
  std::string path;
  std::string content;
};
std::vector<GeneratedFile> generated_files(const CLI::App& app, const std::string& version);

// The footer every command's --help ends with.
extern const char* const k_exit_status_help;

} // namespace golfops::cli
