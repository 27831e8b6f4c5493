#include "core/config/schema.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace golfops::core::config {
namespace {

// The shared keys; families add theirs (add_keys) when they register.
std::vector<KeySpec>& keys() {
  static std::vector<KeySpec> k_keys{
      {.name = "database.url",
       .type = ValueType::postgres_url,
       .description = "PostgreSQL URL or key=value conninfo; libpq's PG* variables fill what it "
                      "leaves out",
       .extra_environment = {"DATABASE_URL"},
       .secret_parts = true},
      {.name = "database.password_file",
       .type = ValueType::path,
       .description = "file holding the database password (Docker/Kubernetes secrets)"},
      {.name = "database.connect_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed to connect to PostgreSQL"},
      {.name = "database.statement_timeout",
       .type = ValueType::duration,
       .default_value = "0",
       .description = "server-side statement_timeout for golfops' sessions (0 = none)"},
      {.name = "redis.url",
       .type = ValueType::redis_url,
       .description = "redis:// or rediss:// URL: [user][:password]@host[:port][/db]",
       .extra_environment = {"REDIS_URL"},
       .secret_parts = true},
      {.name = "redis.password_file",
       .type = ValueType::path,
       .description = "file holding the Redis password"},
      {.name = "redis.connect_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed to connect to Redis"},
      {.name = "redis.command_timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed for one Redis command or pipeline"},
      {.name = "redis.tls_ca_file",
       .type = ValueType::path,
       .description = "CA certificates for rediss:// (default: the system trust store)"},
      {.name = "log.format",
       .type = ValueType::choice,
       .default_value = "text",
       .description = "diagnostics on stderr as text lines or JSON objects",
       .choices = {"text", "json"}},
  };
  return k_keys;
}

std::vector<TableArraySpec>& arrays() {
  static std::vector<TableArraySpec> k_arrays;
  return k_arrays;
}

} // namespace

std::span<const KeySpec> schema() {
  return keys();
}

void add_keys(const std::vector<KeySpec>& family_keys) {
  for (const auto& key : family_keys) {
    if (find_key(key.name) == nullptr) {
      keys().push_back(key);
    }
  }
}

void add_table_array(const TableArraySpec& array) {
  if (find_table_array(array.name) == nullptr) {
    arrays().push_back(array);
  }
}

std::span<const TableArraySpec> table_arrays() {
  return arrays();
}

const TableArraySpec* find_table_array(std::string_view name) {
  for (const auto& array : arrays()) {
    if (array.name == name) {
      return &array;
    }
  }
  return nullptr;
}

const KeySpec* find_key(std::string_view name) {
  for (const auto& key : keys()) {
    if (key.name == name) {
      return &key;
    }
  }
  return nullptr;
}

std::string environment_name(std::string_view key) {
  std::string name = "GOLFOPS_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string_view closest_key(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& key : keys()) {
    names.push_back(key.name);
  }
  return closest_match(name, names);
}

} // namespace golfops::core::config
