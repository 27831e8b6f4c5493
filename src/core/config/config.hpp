#pragma once

#include "core/units.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace golfops::core::config {

// Where a value came from, in precedence order (later wins).
enum class Source { default_value, file, environment, flag };

std::string_view source_name(Source source);

struct Value {
  std::string text;
  Source source = Source::default_value;
  std::string origin; // "golfops.toml:12", "DATABASE_URL", "--database-url", "default"
  std::vector<std::string> items = {}; // string_list items; string_map as "name: value"
};

// How an error names the value of `key`: the flag or variable that set it
// ("--dir", "GOLFOPS_MIGRATE_DIR"), "golfops.toml:3: migrate.dir" from a
// file, or the bare key for a default.
std::string value_label(const Value& value, std::string_view key);

// One element of an array of tables ([[health.check]]), every key of its
// spec present (defaults filled in).
struct Entry {
  std::string origin; // "golfops.toml:14"
  std::map<std::string, Value, std::less<>> values;

  const Value& value(std::string_view key) const;
  const std::string& text(std::string_view key) const { return value(key).text; }
  bool is_set(std::string_view key) const { return value(key).source != Source::default_value; }
};

using Environment = std::map<std::string, std::string>;

// This process's environment as a map (tests pass their own instead).
Environment current_environment();

struct LoadOptions {
  std::optional<std::filesystem::path> config_file;                 // --config
  std::string profile;                                              // --env
  std::map<std::string, std::pair<std::string, std::string>> flags; // key -> (value, "--flag")
  Environment environment;
  std::filesystem::path working_directory; // where ./golfops.toml is looked for
};

// The effective configuration: every schema key with its value and source,
// plus every problem found while loading. Secrets found while loading
// (passwords in URLs and password files) are registered for redaction.
class Config {
public:
  const Value& value(std::string_view key) const;
  const std::string& text(std::string_view key) const { return value(key).text; }
  bool is_set(std::string_view key) const;
  Milliseconds duration(std::string_view key) const;
  std::uint64_t size(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  bool boolean(std::string_view key) const;

  // Contents of the file named by a *.password_file key, with one trailing
  // newline removed; empty when the key is unset. Read on first use, so a
  // command reads only the secrets it uses (a migration job with only the
  // database secret mounted never touches the Redis one). Throws
  // Error(usage) naming the key's origin when the file cannot be read.
  std::string password_from_file(std::string_view key) const;

  // The elements of an array of tables such as health.check, in file order.
  const std::vector<Entry>& entries(std::string_view array) const;

  const std::optional<std::filesystem::path>& file() const { return m_file; }
  const std::string& profile() const { return m_profile; }
  // Every [env.NAME] profile of the file, and how this config was loaded,
  // so `config validate` can load and check each profile.
  const std::vector<std::string>& profiles() const { return m_profiles; }
  const LoadOptions& load_options() const { return m_options; }
  const Environment& environment() const { return m_environment; }

  // One line each: where, which key, the value, what is allowed.
  const std::vector<std::string>& problems() const { return m_problems; }
  // Throws Error(usage) with the problems when there are any.
  void require_valid() const;

private:
  friend Config load(const LoadOptions& options);

  std::map<std::string, Value, std::less<>> m_values;
  struct SecretCache {
    std::mutex mutex;
    std::map<std::string, std::string, std::less<>> files;
  };
  std::shared_ptr<SecretCache> m_secrets = std::make_shared<SecretCache>();
  std::vector<std::string> m_profiles;
  LoadOptions m_options;
  std::map<std::string, std::vector<Entry>, std::less<>> m_entries;
  std::optional<std::filesystem::path> m_file;
  std::string m_profile;
  Environment m_environment;
  std::vector<std::string> m_problems;
};

// A check a family runs on a loaded configuration beyond each key's type
// (health: every [[health.check]] parses into a runnable check). Throws
// Error(usage) with one line naming the key and value. `config validate`
// runs every one on every profile, so no command rejects a file that
// validate accepted.
using Validator = std::function<void(const Config&)>;
void add_validator(Validator validator);
const std::vector<Validator>& validators();

// Discovers and reads the config file, overlays the profile, the environment
// and flags, and validates every value. Throws only for problems that stop
// loading altogether (malformed TOML, a named config file that is missing);
// value problems are collected in problems().
Config load(const LoadOptions& options);

} // namespace golfops::core::config
