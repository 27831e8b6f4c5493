#pragma once

#include <string>
#include <string_view>

// Quoting for the files and lines `golfops dev` writes. Paths come from the
// user (--state-dir, dev.state_dir) and may hold spaces, quotes, `$(...)` or
// newlines: each consumer gets the value back exactly, and nothing is run.
namespace golfops::commands::dev {

// A postgresql.conf string value: single quotes, a quote doubled, and
// backslash escapes for backslash and control characters.
std::string postgres_conf_quote(std::string_view value);

// One element of a PostgreSQL directory list (unix_socket_directories):
// double quotes with a quote doubled, so commas and spaces stay in the name.
std::string postgres_list_element(std::string_view value);

// A redis.conf argument: double quotes with backslash escapes (\\ \" \n \r
// \t and \xHH for other control characters), as Redis' sdssplitargs reads it.
std::string redis_conf_quote(std::string_view value);

// A word for a POSIX shell, for lines a user copies (`export GOLFOPS_CONFIG=...`):
// unchanged when it is plain, otherwise in single quotes.
std::string shell_quote(std::string_view value);

} // namespace golfops::commands::dev
