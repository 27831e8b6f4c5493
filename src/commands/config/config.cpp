#include "commands/config/config.hpp"

#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/pg/client.hpp"
#include "core/pg/conninfo.hpp"
#include "core/redact.hpp"
#include "core/redis/client.hpp"
#include "core/redis/endpoint.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <functional>

namespace golfops::commands::config {
namespace {

using core::config::ValueType;

std::string shown(const core::config::KeySpec& key, const core::config::Value& value) {
  const auto& text = value.text;
  if (text.empty()) {
    return text;
  }
  if (key.secret) {
    return std::string(core::k_redacted);
  }
  if (key.secret_parts && key.type == ValueType::string_map) {
    std::vector<std::string> items;
    for (const auto& item : value.items) {
      auto colon = item.find(": ");
      items.push_back(
          colon == std::string::npos
              ? core::redact(item)
              : item.substr(0, colon + 2) +
                    core::redact_header_value(item.substr(0, colon), item.substr(colon + 2)));
    }
    return core::join(items, ", ");
  }
  if (key.secret_parts) {
    if (key.type == ValueType::redis_url) {
      try {
        return core::redis::parse_endpoint(text, key.name).to_display();
      } catch (const std::exception&) {
        return core::redact_url(text);
      }
    }
    return key.type == ValueType::postgres_url
               ? core::redact_url(core::pg::redact_connection_string(text))
               : core::redact_url(text);
  }
  if (key.type == ValueType::postgres_url) {
    return core::pg::redact_connection_string(text);
  }
  if (key.type == ValueType::redis_url) {
    try {
      return core::redis::parse_endpoint(text, key.name).to_display();
    } catch (const std::exception&) {
      return core::redact(text);
    }
  }
  return core::redact(text);
}

void add_problem(std::vector<std::string>& problems, const std::string& problem) {
  auto clean = core::redact(problem);
  if (std::find(problems.begin(), problems.end(), clean) == problems.end()) {
    problems.push_back(clean);
  }
}

// What a command would find wrong with `config` beyond each key's type:
// Redis URLs parsed fully (loading checks only the scheme, so commands that
// never use Redis don't pay for it), password files readable, passwords not
// given twice, and every family's validator (health checks, ...).
void check_as_commands_would(const core::config::Config& config,
                             std::vector<std::string>& problems) {
  for (const auto& problem : config.problems()) {
    add_problem(problems, problem);
  }
  auto attempt = [&](const std::function<void()>& check) {
    try {
      check();
    } catch (const core::Error& error) {
      for (const auto& line : core::split(error.what(), '\n')) {
        add_problem(problems, line);
      }
    }
  };
  if (!config.problems().empty()) {
    return; // the checks below read the values the problems are about
  }
  for (const auto& key : core::config::schema()) {
    if (key.name.ends_with("password_file")) {
      attempt([&] { config.password_from_file(key.name); });
    }
  }
  if (config.is_set("database.url") || config.is_set("database.password_file")) {
    attempt([&] { core::pg::settings_from(config); });
  }
  if (config.is_set("redis.url")) {
    attempt([&] { core::redis::settings_from(config); });
  }
  for (const auto& validator : core::config::validators()) {
    attempt([&] { validator(config); });
  }
}

std::vector<std::string> all_problems(const core::config::Config& config) {
  std::vector<std::string> problems;
  check_as_commands_would(config, problems);
  // Every profile, not only the one selected: `--env prod` must not find
  // what validate did not.
  for (const auto& profile : config.profiles()) {
    if (profile == config.profile()) {
      continue;
    }
    auto options = config.load_options();
    options.profile = profile;
    try {
      check_as_commands_would(core::config::load(options), problems);
    } catch (const core::Error& error) {
      add_problem(problems, error.what());
    }
  }
  return problems;
}

} // namespace

ShowResult run_show(const core::config::Config& config) {
  ShowResult result;
  if (config.file()) {
    result.file = config.file()->string();
  }
  result.profile = config.profile();
  for (const auto& key : core::config::schema()) {
    const auto& value = config.value(key.name);
    result.values.push_back({std::string(key.name),
                             shown(key, value),
                             std::string(core::config::source_name(value.source)),
                             value.origin});
  }
  for (const auto& array : core::config::table_arrays()) {
    const auto& entries = config.entries(array.name);
    for (std::size_t index = 0; index < entries.size(); ++index) {
      for (const auto& key : array.keys) {
        const auto& value = entries[index].value(key.name);
        if (value.source == core::config::Source::default_value && value.text.empty()) {
          continue;
        }
        result.values.push_back({fmt::format("{}[{}].{}", array.name, index + 1, key.name),
                                 shown(key, value),
                                 std::string(core::config::source_name(value.source)),
                                 value.origin});
      }
    }
  }
  try {
    result.database_target = core::pg::describe_target(
        core::pg::parse_conninfo(config.text("database.url"), "database.url"));
  } catch (const std::exception&) {
    result.database_target = "(invalid database.url)";
  }
  result.problems = all_problems(config);
  return result;
}

ValidateResult run_validate(const core::config::Config& config) {
  ValidateResult result;
  if (config.file()) {
    result.file = config.file()->string();
  }
  result.problems = all_problems(config);
  return result;
}

core::output::Report render(const ShowResult& result) {
  core::output::Report report;
  report.json = {{"file", result.file ? nlohmann::json(*result.file) : nlohmann::json(nullptr)},
                 {"profile", result.profile},
                 {"database_target", result.database_target},
                 {"problems", result.problems}};
  auto& values = report.json["values"] = nlohmann::json::array();
  core::output::Table table({"key", "value", "source", "origin"});
  for (const auto& value : result.values) {
    values.push_back({{"key", value.key},
                      {"value", value.value},
                      {"source", value.source},
                      {"origin", value.origin}});
    using Tone = core::output::Table::Tone;
    table.add_row({{value.key},
                   {value.value.empty() ? "-" : value.value},
                   {value.source, value.source == "default" ? Tone::dim : Tone::plain},
                   {value.origin, Tone::dim}});
  }
  report.tables.push_back(std::move(table));
  report.notes.push_back("config file: " + result.file.value_or("(none found)") +
                         (result.profile.empty() ? "" : "  profile: " + result.profile));
  report.notes.push_back("database target: " + result.database_target);
  for (const auto& problem : result.problems) {
    report.notes.push_back("problem: " + problem);
  }
  return report;
}

core::output::Report render(const ValidateResult& result) {
  core::output::Report report;
  report.json = {{"file", result.file ? nlohmann::json(*result.file) : nlohmann::json(nullptr)},
                 {"valid", result.problems.empty()},
                 {"problems", result.problems}};
  if (result.problems.empty()) {
    report.notes.push_back("configuration is valid (" + result.file.value_or("no config file") +
                           ")");
  }
  return report;
}

} // namespace golfops::commands::config
