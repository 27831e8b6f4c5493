#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace golfops::core::pg {

// A parsed PostgreSQL connection string (URL or key=value), by libpq's own
// parser (PQconninfoParse), with golfops' `password_file` parameter taken out.
struct Conninfo {
  std::vector<std::pair<std::string, std::string>> parameters; // only those given
  std::optional<std::string> password_file;

  std::optional<std::string> get(std::string_view keyword) const;
  void set(std::string_view keyword, std::string value);
  // key=value form with libpq quoting, for PQconnectdb; holds the password.
  std::string to_string() const;
  // The same with the password replaced by k_redacted: safe to show.
  std::string to_display() const;
};

// Parses `text`; throws Error(usage) naming `field` with libpq's message.
// An empty text is valid: libpq's PG* variables and defaults apply.
Conninfo parse_conninfo(std::string_view text, std::string_view field);

// `text` with any password replaced by k_redacted, keeping its shape (URL or
// key=value) so the user recognises it. Safe on unparsable text.
std::string redact_connection_string(std::string_view text);

// "host:port/dbname" as libpq will resolve it, PG* variables included.
std::string describe_target(const Conninfo& conninfo);

} // namespace golfops::core::pg
