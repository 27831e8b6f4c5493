#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace golfops::core::redis {

// Where and how to reach Redis, from a redis:// or rediss:// URL.
// `redis://:secret@host:6379/0` (empty user) means a password-only AUTH, as
// most platforms write REDIS_URL; `redis://user:secret@...` is an ACL AUTH.
struct Endpoint {
  bool tls = false;
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;
  std::string password;
  int database = 0;
  std::optional<std::string> password_file; // ?password_file=/run/secrets/redis

  // "host:port" (IPv6 hosts bracketed).
  std::string address() const;
  // The URL with the password replaced by k_redacted.
  std::string to_display() const;
};

// The part of the check that needs no URL parser (the scheme), and the
// password registered for redaction. Config loading uses it so that commands
// that never talk to Redis do not load libcurl to parse its URL;
// parse_endpoint() checks the rest where Redis is used and in
// `config validate`.
void check_scheme(std::string_view text, std::string_view field);

// Parses with libcurl's URL parser; throws Error(usage) naming `field`,
// the (redacted) value and what is allowed. Empty text means the default.
Endpoint parse_endpoint(std::string_view text, std::string_view field);

} // namespace golfops::core::redis
