#include "core/config/config.hpp"

#include "core/config/schema.hpp"
#include "core/config/toml_document.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/conninfo.hpp"
#include "core/redact.hpp"
#include "core/redis/endpoint.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

extern char** environ;

namespace golfops::core::config {
namespace {

const Value& empty_value() {
  static const Value k_empty;
  return k_empty;
}

std::optional<std::string> lookup(const Environment& environment, const std::string& name) {
  auto found = environment.find(name);
  if (found == environment.end()) {
    return std::nullopt;
  }
  return found->second;
}

// The config file golfops reads, by DESIGN.md's discovery order.
std::optional<std::filesystem::path> discover(const LoadOptions& options) {
  auto must_exist = [](const std::filesystem::path& path, std::string_view how) {
    if (!std::filesystem::exists(path)) {
      throw_usage(fmt::format("{}: config file '{}' does not exist", how, path.string()));
    }
    return path;
  };
  if (options.config_file) {
    return must_exist(*options.config_file, "--config");
  }
  if (auto named = lookup(options.environment, "GOLFOPS_CONFIG"); named && !named->empty()) {
    return must_exist(*named, "GOLFOPS_CONFIG");
  }
  std::vector<std::filesystem::path> candidates{options.working_directory / "golfops.toml"};
  if (auto xdg = lookup(options.environment, "XDG_CONFIG_HOME"); xdg && !xdg->empty()) {
    candidates.push_back(std::filesystem::path(*xdg) / "golfops" / "config.toml");
  } else if (auto home = lookup(options.environment, "HOME"); home && !home->empty()) {
    candidates.push_back(std::filesystem::path(*home) / ".config" / "golfops" / "config.toml");
  }
  candidates.emplace_back("/etc/golfops/config.toml");
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

// Expands ${VAR} and ${VAR:-fallback}; "$${" stays a literal "${".
std::string interpolate(const std::string& text,
                        const Environment& environment,
                        std::vector<std::string>& missing) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    if (text.compare(at, 3, "$${") == 0) {
      out += "${";
      at += 3;
      continue;
    }
    if (text.compare(at, 2, "${") != 0) {
      out += text[at++];
      continue;
    }
    auto close = text.find('}', at + 2);
    if (close == std::string::npos) {
      out += text.substr(at);
      break;
    }
    std::string inner = text.substr(at + 2, close - at - 2);
    std::optional<std::string> fallback;
    if (auto dash = inner.find(":-"); dash != std::string::npos) {
      fallback = inner.substr(dash + 2);
      inner.resize(dash);
    }
    auto found = lookup(environment, inner);
    if (found && !found->empty()) {
      if (is_secret_variable(inner)) {
        register_secret(*found);
      }
      out += *found;
    } else if (fallback) {
      out += *fallback;
    } else {
      missing.push_back(inner);
    }
    at = close + 1;
  }
  return out;
}

std::string location(const std::filesystem::path& file, const toml::node& node) {
  return fmt::format("{}:{}", file.string(), node.source().begin.line);
}

std::string toml_text(const toml::node& node) {
  if (auto text = node.as_string()) {
    return text->get();
  }
  if (auto number = node.as_integer()) {
    return std::to_string(number->get());
  }
  if (auto flag = node.as_boolean()) {
    return flag->get() ? "true" : "false";
  }
  if (auto real = node.as_floating_point()) {
    return fmt::format("{}", real->get());
  }
  return {};
}

bool type_fits(ValueType type, const toml::node& node) {
  switch (type) {
  case ValueType::integer:
    return node.is_integer();
  case ValueType::boolean:
    return node.is_boolean();
  case ValueType::size:
    return node.is_integer() || node.is_string();
  case ValueType::string_list:
    return node.is_array() && node.as_array()->is_homogeneous(toml::node_type::string);
  case ValueType::string_map:
    if (auto table = node.as_table()) {
      return std::all_of(
          table->begin(), table->end(), [](const auto& item) { return item.second.is_string(); });
    }
    return false;
  default:
    return node.is_string();
  }
}

std::string_view type_name(ValueType type) {
  switch (type) {
  case ValueType::integer:
    return "an integer";
  case ValueType::boolean:
    return "true or false";
  case ValueType::duration:
    return "a duration string such as \"5s\"";
  case ValueType::size:
    return "a size such as \"10MiB\"";
  case ValueType::string_list:
    return "an array of strings";
  case ValueType::string_map:
    return "a table of strings";
  default:
    return "a string";
  }
}

class FileReader {
public:
  FileReader(std::map<std::string, Value, std::less<>>& values,
             std::map<std::string, std::vector<Entry>, std::less<>>& entries,
             std::vector<std::string>& problems,
             const Environment& environment)
      : m_values(values), m_entries(entries), m_problems(problems), m_environment(environment) {}

  // A value from the file: strings interpolated, lists and maps kept as items.
  Value read_value(const toml::node& node,
                   const std::string& key,
                   const std::string& where,
                   std::string_view profile_note) {
    Value value{{}, Source::file, where + std::string(profile_note)};
    auto expand = [&](const std::string& text) {
      std::vector<std::string> missing;
      auto expanded = interpolate(text, m_environment, missing);
      for (const auto& name : missing) {
        m_problems.push_back(fmt::format(
            "{}: {}: environment variable '{}' is not set (use ${{{}:-default}} for a fallback)",
            where,
            key,
            name,
            name));
      }
      return expanded;
    };
    if (auto array = node.as_array()) {
      for (const auto& item : *array) {
        value.items.push_back(expand(item.as_string()->get()));
      }
      value.text = join(value.items, ", ");
    } else if (auto table = node.as_table()) {
      for (const auto& [name, item] : *table) {
        value.items.push_back(std::string(name.str()) + ": " + expand(item.as_string()->get()));
      }
      value.text = join(value.items, ", ");
    } else {
      value.text = node.is_string() ? expand(toml_text(node)) : toml_text(node);
    }
    return value;
  }

  // Reads [[health.check]]-style arrays: each element checked against its spec.
  void read_entries(const std::filesystem::path& file,
                    const toml::array& array,
                    const TableArraySpec& spec,
                    std::string_view profile_note) {
    // A profile's array replaces the file's: checks are a list, not a merge.
    m_entries[std::string(spec.name)] = entries_of(file, array, spec, profile_note);
  }

  std::vector<Entry> entries_of(const std::filesystem::path& file,
                                const toml::array& array,
                                const TableArraySpec& spec,
                                std::string_view profile_note) {
    std::vector<Entry> entries;
    for (std::size_t index = 0; index < array.size(); ++index) {
      const auto& element = array[index];
      auto where = location(file, element);
      auto table = element.as_table();
      if (table == nullptr) {
        m_problems.push_back(
            fmt::format("{}: {}: expected [[{}]] tables", where, spec.name, spec.name));
        continue;
      }
      Entry entry{where + std::string(profile_note), {}};
      for (const auto& key : spec.keys) {
        entry.values[std::string(key.name)] =
            Value{std::string(key.default_value), Source::default_value, "default"};
      }
      for (const auto& [raw_key, node] : *table) {
        auto key = std::string(raw_key.str());
        auto field = fmt::format("{}[{}].{}", spec.name, index + 1, key);
        auto at = location(file, node);
        auto found = std::find_if(spec.keys.begin(),
                                  spec.keys.end(),
                                  [&](const KeySpec& candidate) { return candidate.name == key; });
        if (found == spec.keys.end()) {
          std::vector<std::string_view> names;
          for (const auto& candidate : spec.keys) {
            names.push_back(candidate.name);
          }
          auto suggestion = closest_match(key, names);
          m_problems.push_back(fmt::format("{}: unknown key '{}'{}",
                                           at,
                                           field,
                                           suggestion.empty()
                                               ? std::string()
                                               : fmt::format(" (did you mean '{}'?)", suggestion)));
          continue;
        }
        if (!type_fits(found->type, node)) {
          m_problems.push_back(fmt::format(
              "{}: {}: expected {}, got '{}'", at, field, type_name(found->type), toml_text(node)));
          continue;
        }
        entry.values[key] = read_value(node, field, at, profile_note);
      }
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  // Reads one section table ([database]) or dotted keys into values.
  void read_table(const std::filesystem::path& file,
                  const toml::table& table,
                  const std::string& prefix,
                  std::string_view profile_note) {
    for (const auto& [raw_key, node] : table) {
      if (prefix.empty() && raw_key.str() == "env") {
        continue; // profiles, read separately
      }
      std::string key =
          prefix.empty() ? std::string(raw_key.str()) : prefix + "." + std::string(raw_key.str());
      if (const auto* array_spec = find_table_array(key)) {
        if (auto array = node.as_array()) {
          read_entries(file, *array, *array_spec, profile_note);
          continue;
        }
      }
      const KeySpec* spec = find_key(key);
      // A table is a section, unless the key holds a map (header = value).
      if (auto nested = node.as_table(); nested && (!spec || spec->type != ValueType::string_map)) {
        read_table(file, *nested, key, profile_note);
        continue;
      }
      auto where = location(file, node);
      if (spec == nullptr) {
        auto suggestion = closest_key(key);
        m_problems.push_back(fmt::format(
            "{}: unknown key '{}'{}",
            where,
            key,
            suggestion.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", suggestion)));
        continue;
      }
      if (!type_fits(spec->type, node)) {
        m_problems.push_back(fmt::format(
            "{}: {}: expected {}, got '{}'", where, key, type_name(spec->type), toml_text(node)));
        continue;
      }
      m_values[key] = read_value(node, key, where, profile_note);
    }
  }

private:
  std::map<std::string, Value, std::less<>>& m_values;
  std::map<std::string, std::vector<Entry>, std::less<>>& m_entries;
  std::vector<std::string>& m_problems;
  const Environment& m_environment;
};

// Checks one value against its type; returns the problem or empty.
std::string check_value(const KeySpec& spec, const Value& value, const std::string& field) {
  if (value.text.empty() && spec.type != ValueType::text) {
    return {};
  }
  try {
    switch (spec.type) {
    case ValueType::duration:
      parse_duration(value.text, field);
      break;
    case ValueType::size:
      parse_size(value.text, field);
      break;
    case ValueType::integer: {
      std::size_t used = 0;
      std::stoll(value.text, &used);
      if (used != value.text.size()) {
        throw std::invalid_argument("trailing text");
      }
      break;
    }
    case ValueType::boolean:
      if (value.text != "true" && value.text != "false") {
        return fmt::format("{}: invalid value '{}' (expected true or false)", field, value.text);
      }
      break;
    case ValueType::choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), value.text) == spec.choices.end()) {
        std::vector<std::string> allowed(spec.choices.begin(), spec.choices.end());
        return fmt::format(
            "{}: invalid value '{}' (expected one of: {})", field, value.text, join(allowed, ", "));
      }
      break;
    case ValueType::postgres_url:
      pg::parse_conninfo(value.text, field);
      break;
    case ValueType::redis_url:
      redis::check_scheme(value.text, field);
      break;
    case ValueType::text:
    case ValueType::path:
    case ValueType::string_list:
    case ValueType::string_map:
      break;
    }
  } catch (const Error& error) {
    return error.what();
  } catch (const std::exception&) {
    return fmt::format("{}: invalid integer '{}'", field, value.text);
  }
  return {};
}

// Registers the secrets a value holds by what it is: a secret key whole;
// passwords and tokens in URLs, credential headers in a map.
void register_parts(const KeySpec& key, const Value& value) {
  if (key.secret) {
    register_secret(value.text);
  }
  if (!key.secret_parts) {
    return;
  }
  if (key.type == ValueType::string_map) {
    for (const auto& item : value.items) {
      auto colon = item.find(": ");
      if (colon != std::string::npos) {
        register_secret(header_secret(item.substr(0, colon), item.substr(colon + 2)));
      }
    }
    return;
  }
  for (const auto& secret : url_secrets(value.text)) {
    register_secret(secret);
  }
}

} // namespace

std::string value_label(const Value& value, std::string_view key) {
  switch (value.source) {
  case Source::flag:
  case Source::environment:
    return value.origin;
  case Source::file:
    return fmt::format("{}: {}", value.origin, key);
  case Source::default_value:
    break;
  }
  return std::string(key);
}

std::string_view source_name(Source source) {
  switch (source) {
  case Source::default_value:
    return "default";
  case Source::file:
    return "file";
  case Source::environment:
    return "env";
  case Source::flag:
    return "flag";
  }
  return "default";
}

Environment current_environment() {
  Environment environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    auto equals = variable.find('=');
    if (equals != std::string_view::npos) {
      environment.emplace(variable.substr(0, equals), variable.substr(equals + 1));
    }
  }
  return environment;
}

const Value& Config::value(std::string_view key) const {
  auto found = m_values.find(key);
  return found == m_values.end() ? empty_value() : found->second;
}

bool Config::is_set(std::string_view key) const {
  return value(key).source != Source::default_value && !value(key).text.empty();
}

Milliseconds Config::duration(std::string_view key) const {
  return parse_duration(text(key), key);
}

std::uint64_t Config::size(std::string_view key) const {
  return parse_size(text(key), key);
}

std::int64_t Config::integer(std::string_view key) const {
  return std::stoll(text(key));
}

bool Config::boolean(std::string_view key) const {
  return text(key) == "true";
}

std::string Config::password_from_file(std::string_view key) const {
  const auto& path = value(key);
  if (path.text.empty()) {
    return {};
  }
  std::lock_guard lock(m_secrets->mutex);
  if (auto found = m_secrets->files.find(key); found != m_secrets->files.end()) {
    return found->second;
  }
  auto secret = read_secret_file(path.text, value_label(path, key));
  m_secrets->files.emplace(std::string(key), secret);
  return secret;
}

namespace {

std::vector<Validator>& registered_validators() {
  static std::vector<Validator> k_validators;
  return k_validators;
}

} // namespace

void add_validator(Validator validator) {
  registered_validators().push_back(std::move(validator));
}

const std::vector<Validator>& validators() {
  return registered_validators();
}

void Config::require_valid() const {
  if (!m_problems.empty()) {
    throw Error(ExitCode::usage, join(m_problems, "\n"));
  }
}

namespace {

// A relative path in a config file means the same wherever golfops runs:
// cron's `golfops --config /srv/app/golfops.toml migrate up` from / finds
// /srv/app/migrations. Kept as written when the file sits in the working
// directory, where both readings agree, so messages stay short.
void resolve_relative_paths(const std::filesystem::path& file,
                            const std::filesystem::path& working_directory,
                            std::span<const KeySpec> keys,
                            std::map<std::string, Value, std::less<>>& values) {
  auto here = std::filesystem::absolute(working_directory).lexically_normal();
  auto base = (here / file).parent_path().lexically_normal();
  if (base == here) {
    return;
  }
  for (const auto& key : keys) {
    auto found = values.find(key.name);
    if (key.type != ValueType::path || found == values.end()) {
      continue;
    }
    auto& value = found->second;
    if (value.source == Source::file && !value.text.empty() &&
        std::filesystem::path(value.text).is_relative()) {
      value.text = (base / value.text).lexically_normal().string();
    }
  }
}

} // namespace

Config load(const LoadOptions& options) {
  Config config;
  config.m_environment = options.environment;
  config.m_profile = options.profile;
  config.m_options = options;
  for (const auto& key : schema()) {
    config.m_values[std::string(key.name)] =
        Value{std::string(key.default_value), Source::default_value, "default"};
  }

  config.m_file = discover(options);
  FileReader reader(config.m_values, config.m_entries, config.m_problems, options.environment);
  if (config.m_file) {
    auto path = config.m_file->string();
    auto document = parse_toml(read_file(path, "config file"), path, path);
    std::vector<std::string> profiles;
    const toml::table* selected = nullptr;
    for (const auto& [name, node] : document) {
      if (name.str() != "env") {
        continue;
      }
      if (auto table = node.as_table()) {
        for (const auto& [profile, profile_node] : *table) {
          profiles.emplace_back(profile.str());
          if (profile.str() == options.profile) {
            selected = profile_node.as_table();
          }
        }
      }
    }
    config.m_profiles = profiles;
    reader.read_table(*config.m_file, document, "", "");
    if (!options.profile.empty()) {
      if (selected == nullptr) {
        throw_usage(fmt::format("--env: no profile '{}' in {} (profiles: {})",
                                options.profile,
                                config.m_file->string(),
                                profiles.empty() ? "none" : join(profiles, ", ")));
      }
      reader.read_table(*config.m_file, *selected, "", fmt::format(" [env.{}]", options.profile));
    }
    resolve_relative_paths(*config.m_file, options.working_directory, schema(), config.m_values);
    for (auto& [array, entries] : config.m_entries) {
      for (auto& entry : entries) {
        resolve_relative_paths(
            *config.m_file, options.working_directory, find_table_array(array)->keys, entry.values);
      }
    }
  } else if (!options.profile.empty()) {
    throw_usage(
        fmt::format("--env: profile '{}' given but no config file was found", options.profile));
  }

  for (const auto& key : schema()) {
    std::vector<std::string> names{environment_name(key.name)};
    names.insert(names.end(), key.extra_environment.begin(), key.extra_environment.end());
    for (const auto& name : names) {
      if (auto found = lookup(options.environment, name); found && !found->empty()) {
        config.m_values[std::string(key.name)] = Value{*found, Source::environment, name};
        break;
      }
    }
  }

  for (const auto& [key, flag] : options.flags) {
    config.m_values[key] = Value{flag.first, Source::flag, flag.second};
  }

  if (auto password = lookup(options.environment, "PGPASSWORD")) {
    register_secret(*password);
  }
  // Secrets by what they are, wherever they were written: URL passwords and
  // tokens, credential headers.
  for (const auto& key : schema()) {
    register_parts(key, config.value(key.name));
  }
  for (const auto& [array, entries] : config.m_entries) {
    for (const auto& entry : entries) {
      for (const auto& key : find_table_array(array)->keys) {
        register_parts(key, entry.value(key.name));
      }
    }
  }
  for (const auto& key : schema()) {
    const auto& value = config.value(key.name);
    auto problem = check_value(key, value, std::string(key.name));
    if (!problem.empty()) {
      config.m_problems.push_back(value.source == Source::default_value
                                      ? problem
                                      : fmt::format("{}: {}", value.origin, problem));
      continue;
    }
  }
  for (const auto& [array, entries] : config.m_entries) {
    const auto* spec = find_table_array(array);
    for (std::size_t index = 0; index < entries.size(); ++index) {
      for (const auto& key : spec->keys) {
        const auto& value = entries[index].value(key.name);
        auto problem =
            check_value(key, value, fmt::format("{}[{}].{}", array, index + 1, key.name));
        if (!problem.empty()) {
          config.m_problems.push_back(fmt::format("{}: {}", value.origin, problem));
        }
      }
    }
  }
  return config;
}

std::vector<Entry> read_entries(const toml::array& array,
                                const TableArraySpec& spec,
                                const std::filesystem::path& file,
                                const Environment& environment,
                                std::vector<std::string>& problems) {
  std::map<std::string, Value, std::less<>> values;
  std::map<std::string, std::vector<Entry>, std::less<>> entries;
  FileReader reader(values, entries, problems, environment);
  auto read = reader.entries_of(file, array, spec, "");
  for (std::size_t index = 0; index < read.size(); ++index) {
    for (const auto& key : spec.keys) {
      const auto& value = read[index].value(key.name);
      register_parts(key, value);
      auto problem =
          check_value(key, value, fmt::format("{}[{}].{}", spec.name, index + 1, key.name));
      if (!problem.empty()) {
        problems.push_back(fmt::format("{}: {}", value.origin, problem));
      }
    }
  }
  return read;
}

const std::vector<Entry>& Config::entries(std::string_view array) const {
  static const std::vector<Entry> k_none;
  auto found = m_entries.find(array);
  return found == m_entries.end() ? k_none : found->second;
}

const Value& Entry::value(std::string_view key) const {
  auto found = values.find(key);
  return found == values.end() ? empty_value() : found->second;
}

} // namespace golfops::core::config
