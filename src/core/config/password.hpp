#pragma once

#include "core/config/config.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace golfops::core::config {

// The password for `section` (database or redis), from wherever it was given:
// the URL itself, the URL's ?password_file=, or `<section>.password_file`.
// Precedence follows the sources (flag > env > file): a URL from DATABASE_URL
// with a password beats a password_file from the config file. Two passwords
// from the same source are ambiguous and refused (exit 2). File contents are
// registered as secrets.
// `origin`, when given, is set to where the password came from, for an
// authentication failure to name ("database.password_file (golfops.toml:3)",
// "the URL in DATABASE_URL"); empty when there was none.
std::string resolve_password(const std::string& url_password,
                             const std::optional<std::string>& url_password_file,
                             const Value& url,
                             const Config& config,
                             std::string_view section,
                             std::string* origin = nullptr);

} // namespace golfops::core::config
