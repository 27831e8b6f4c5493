#include "commands/config/config.hpp"

#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/pg/conninfo.hpp"
#include "core/redact.hpp"
#include "core/redis/endpoint.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace golfops::commands::config {
namespace {

using core::config::ValueType;

std::string shown(const core::config::KeySpec& key, const std::string& text) {
  if (text.empty()) {
    return text;
  }
  if (key.secret) {
    return std::string(core::k_redacted);
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

// Loading checks only the scheme of a Redis URL (so commands that never use
// Redis don't load libcurl); show and validate parse it fully, as a Redis
// command would.
std::vector<std::string> all_problems(const core::config::Config& config) {
  std::vector<std::string> problems = config.problems();
  for (const auto& key : core::config::schema()) {
    const auto& value = config.value(key.name);
    if (key.type != ValueType::redis_url || value.text.empty()) {
      continue;
    }
    try {
      core::redis::parse_endpoint(value.text, key.name);
    } catch (const core::Error& error) {
      auto problem = value.source == core::config::Source::default_value
                         ? std::string(error.what())
                         : fmt::format("{}: {}", value.origin, error.what());
      if (std::find(problems.begin(), problems.end(), problem) == problems.end()) {
        problems.push_back(problem);
      }
    }
  }
  for (auto& problem : problems) {
    problem = core::redact(problem);
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
                             shown(key, value.text),
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
        result.values.push_back(
            {fmt::format("{}[{}].{}", array.name, index + 1, key.name),
             key.name == "url" ? core::redact_url(value.text) : shown(key, value.text),
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
