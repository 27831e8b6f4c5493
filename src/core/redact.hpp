#pragma once

#include <string>
#include <string_view>

namespace golfops::core {

// What a secret is shown as, everywhere.
inline constexpr std::string_view k_redacted = "******";

// Registers a secret (a password read from a URL, file or environment) so that
// redact() removes it from any text golfops writes: output, logs, errors.
// Redaction at the source is the rule; this is the net behind it.
void register_secret(std::string_view secret);

// `text` with every registered secret replaced by k_redacted.
std::string redact(std::string_view text);

// The password of a URL's userinfo (scheme://user:password@host/...), or
// empty. Used to register and redact passwords in any URL a user configures.
std::string url_password(std::string_view url);

// `url` with the userinfo password replaced by k_redacted, shape kept.
std::string redact_url(std::string_view url);

} // namespace golfops::core
