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
  choice,
  string_list, // a TOML array of strings
  string_map,  // a TOML table of strings (e.g. HTTP headers), kept as "name: value" items
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
  // Parts of the value may be secrets by what they are: a URL's password or
  // token, an Authorization or Cookie header. Redacted in output by shape.
  bool secret_parts = false;
};

// Every key golfops knows: the shared ones (database, redis, log) and those
// each command family added when it registered. Anything else in a config
// file is an error.
std::span<const KeySpec> schema();

// A family's own keys ([migrate], [dev], ...), declared in its folder and
// added by its register function before configuration is loaded. Adding
// a key twice is harmless.
void add_keys(const std::vector<KeySpec>& keys);

// An array of tables such as [[health.check]]: each element has its own keys.
struct TableArraySpec {
  std::string_view name = {}; // "health.check"
  std::string_view description = {};
  std::vector<KeySpec> keys = {}; // names relative to the element: "url", "timeout"
};

std::span<const TableArraySpec> table_arrays();
void add_table_array(const TableArraySpec& array);
const TableArraySpec* find_table_array(std::string_view name);

// The key named `name`, or nullptr.
const KeySpec* find_key(std::string_view name);

// GOLFOPS_DATABASE_URL for database.url.
std::string environment_name(std::string_view key);

// The known key closest to `name` (for "did you mean"), or empty.
std::string_view closest_key(std::string_view name);

} // namespace golfops::core::config
