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

} // namespace golfops::core
