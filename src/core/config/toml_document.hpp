#pragma once

#include "core/config/config.hpp"
#include "core/config/schema.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

namespace golfops::core::config {

// Parses a TOML document (the config file, a rules file, a scenario). A
// syntax error is Error(usage) "SHOWN:LINE:COLUMN: invalid TOML: ...", with
// `shown` naming the file as the user knows it ("--scenario: launch.toml").
toml::table parse_toml(std::string_view text, std::string_view path, std::string_view shown);

// The elements of an array of tables in any TOML document (a verify suite's
// [[check]]), read as the config file's [[health.check]] is: every key of
// `spec` present with its default, unknown keys ("did you mean"), types and
// ${VAR} interpolation from `environment`. Each problem is one line naming
// `file`:line and the key, appended to `problems`.
std::vector<Entry> read_entries(const toml::array& array,
                                const TableArraySpec& spec,
                                const std::filesystem::path& file,
                                const Environment& environment,
                                std::vector<std::string>& problems);

} // namespace golfops::core::config
