#pragma once

#include <string_view>
#include <toml++/toml.h>

namespace golfops::core::config {

// Parses a TOML document (the config file, a rules file, a scenario). A
// syntax error is Error(usage) "SHOWN:LINE:COLUMN: invalid TOML: ...", with
// `shown` naming the file as the user knows it ("--scenario: launch.toml").
toml::table parse_toml(std::string_view text, std::string_view path, std::string_view shown);

} // namespace golfops::core::config
