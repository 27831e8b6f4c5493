#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace golfops::core {

// What a secret is shown as, everywhere.
inline constexpr std::string_view k_redacted = "******";

// Registers a secret (a password read from a URL, file or environment) so that
// redact() removes it from any text golfops writes: output, logs, errors.
// Redaction at the source is the rule; this is the net behind it.
void register_secret(std::string_view secret);

// `text` with every registered secret replaced by k_redacted, and the
// password of any URL in it (scheme://user:password@host), so a library
// message that echoes a URL golfops never parsed still hides it.
std::string redact(std::string_view text);

// The password of a URL's userinfo (scheme://user:password@host/...), or
// empty. Used to register and redact passwords in any URL a user configures.
std::string url_password(std::string_view url);

// `url` with the userinfo password and the values of secret-looking query
// parameters (token, access_token, api_key, password, signature, ...)
// replaced by k_redacted, shape kept.
std::string redact_url(std::string_view url);

// The secrets a URL carries by its shape: its password and the values of
// secret-looking query parameters (for register_secret).
std::vector<std::string> url_secrets(std::string_view url);

// Registers what looks like a credential in text golfops could not parse
// (a malformed URL or conninfo a library will echo back): the `secret` of
// every "user:secret@" and of "password=secret".
void register_credentials_in(std::string_view text);

// A header whose value is a credential: Authorization, Proxy-Authorization,
// Cookie, Set-Cookie, and names with token, secret, password, api-key/apikey.
bool is_secret_header(std::string_view name);

// An environment variable whose name says it holds a secret (SMOKE_TOKEN,
// API_KEY, DB_PASSWORD, ...): its value is registered when a config
// interpolates it, so a condition or message quoting it is redacted too.
bool is_secret_variable(std::string_view name);

// The value as it may be shown: a secret header's credential redacted, its
// scheme kept ("Bearer ******").
std::string redact_header_value(std::string_view name, std::string_view value);

// The credential part of a secret header's value (for register_secret);
// empty when the header is not secret.
std::string header_secret(std::string_view name, std::string_view value);

} // namespace golfops::core
