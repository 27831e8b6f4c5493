#pragma once

#include <CLI/App.hpp>
#include <string>

namespace golfops::cli {

// Shell completion scripts and the man page, generated from the CLI11
// definitions so a flag is documented in exactly one place.
std::string completion_script(const CLI::App& app, const std::string& shell);
std::string man_page(const CLI::App& app, const std::string& version);

// The footer every command's --help ends with.
extern const char* const k_exit_status_help;

} // namespace golfops::cli
