#include "commands/limits/limits.hpp"
#include "core/config/config.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"

#include <fmt/format.h>

namespace golfops::commands::limits {

// The [limits] keys: read by key_prefix_from(), documented by config show.
void add_config_keys() {
  using core::config::ValueType;
  core::config::add_keys({
      {.name = "limits.key_prefix",
       .type = ValueType::text,
       .default_value = "golfops:rl:",
       .description = "prefix of every Redis key and channel the rate limiter uses (services "
                      "use the same; docs/limits.md)"},
  });
  core::config::add_validator([](const core::config::Config& config) { key_prefix_from(config); });
}

std::string key_prefix_from(const core::config::Config& config) {
  const auto& prefix = config.text("limits.key_prefix");
  bool plain = !prefix.empty() && prefix.size() <= 64;
  for (char c : prefix) {
    // Braces would change the keys' hash tag; glob characters their SCAN.
    plain = plain && c > ' ' && c < 127 && c != '{' && c != '}' && c != '*' && c != '?' &&
            c != '[' && c != ']' && c != '\\';
  }
  if (!plain) {
    core::throw_usage(fmt::format("limits.key_prefix: '{}' is not a key prefix (1 to 64 printable "
                                  "characters without spaces, braces or * ? [ ] \\)",
                                  prefix));
  }
  return prefix;
}

} // namespace golfops::commands::limits
