#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace golfops::core::config {

enum class ValueType {
  text,
  postgres_url,
  redis_url,
  duration,
  size,
  integer,
  boolean,
  path,
  choice
};

// One configuration key: everything config show, config validate, the env
// mapping and the docs need to know about it. The schema is the one place a
// key is declared.
struct KeySpec {
  std::string_view name = {}; // "database.url": table.key in TOML
  ValueType type = ValueType::text;
  std::string_view default_value = {};
  std::string_view description = {};
  std::vector<std::string_view> extra_environment = {}; // e.g. DATABASE_URL, after GOLFOPS_*
  std::vector<std::string_view> choices = {};
  bool secret = false; // the whole value is a secret
};

// Every key golfops knows; anything else in a config file is an error.
std::span<const KeySpec> schema();

// The key named `name`, or nullptr.
const KeySpec* find_key(std::string_view name);

// GOLFOPS_DATABASE_URL for database.url.
std::string environment_name(std::string_view key);

// The known key closest to `name` (for "did you mean"), or empty.
std::string_view closest_key(std::string_view name);

} // namespace golfops::core::config
