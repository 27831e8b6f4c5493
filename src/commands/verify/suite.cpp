#include "commands/verify/verify.hpp"
#include "core/config/toml_document.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/load/threshold.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

namespace golfops::commands::verify {

namespace {

// Stands in for the base URL while a check is validated before one is known
// (config validate); the run joins the real one.
constexpr std::string_view k_placeholder_base = "http://base-url.invalid";

constexpr std::array<std::string_view, 6> k_suite_keys{
    "base_url", "checks", "skip", "slo", "timeout", "check"};

std::vector<std::string> strings(const toml::node& node, std::string_view field) {
  std::vector<std::string> values;
  const auto* array = node.as_array();
  bool ok = array != nullptr;
  if (ok) {
    for (const auto& item : *array) {
      if (const auto* text = item.as_string()) {
        values.push_back(text->get());
      } else {
        ok = false;
      }
    }
  }
  if (!ok) {
    core::throw_usage(fmt::format("{}: expected an array of strings", field));
  }
  return values;
}

std::string text(const toml::node& node, std::string_view field) {
  const auto* value = node.as_string();
  if (value == nullptr) {
    core::throw_usage(fmt::format("{}: expected a string", field));
  }
  return value->get();
}

} // namespace

std::vector<core::config::KeySpec> custom_check_keys() {
  using core::config::ValueType;
  return {
      {.name = "name", .description = "label in output and JUnit (default: METHOD path)"},
      {.name = "path", .description = "a path on the base URL: /api/games?status=waiting"},
      {.name = "url",
       .description = "an absolute URL instead of path (another host)",
       .secret_parts = true},
      {.name = "method", .default_value = "GET", .description = "request method"},
      {.name = "headers",
       .type = ValueType::string_map,
       .description = "request headers (Authorization, Cookie and the like are secrets)",
       .secret_parts = true},
      {.name = "body", .description = "request body"},
      {.name = "status",
       .type = ValueType::integer,
       .default_value = "200",
       .description = "expected status"},
      {.name = "conditions",
       .type = ValueType::string_list,
       .description = "'$.games[0].status == \"waiting\"', 'header.x-request-id != \"\"', ..."},
      {.name = "timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed for the request"},
      {.name = "max_latency",
       .type = ValueType::duration,
       .description = "fail when the answer takes longer"},
      {.name = "severity",
       .type = ValueType::choice,
       .default_value = "critical",
       .description = "a failing warning check does not fail the run",
       .choices = {"critical", "warning"}},
      {.name = "ca_file",
       .type = ValueType::path,
       .description = "https: CA certificates to trust (default: verify.ca_file)"},
  };
}

std::vector<CustomCheck> custom_checks_from(const std::vector<core::config::Entry>& entries,
                                            std::string_view array,
                                            std::string_view base_url) {
  std::vector<CustomCheck> checks;
  for (std::size_t index = 0; index < entries.size(); ++index) {
    const auto& entry = entries[index];
    auto field = [&](std::string_view key) {
      const auto& value = entry.value(key);
      return fmt::format("{}: {}[{}].{}",
                         value.source == core::config::Source::file ? value.origin : entry.origin,
                         array,
                         index + 1,
                         key);
    };
    bool has_path = entry.is_set("path");
    bool has_url = entry.is_set("url");
    if (has_path == has_url) {
      core::throw_usage(fmt::format("{}: {}",
                                    field("path"),
                                    has_path ? "give path or url, not both"
                                             : "missing (a path on the base URL, or url)"));
    }
    CustomCheck check;
    if (has_path) {
      check.path = entry.text("path");
      if (!check.path.starts_with('/')) {
        core::throw_usage(fmt::format("{}: '{}' must start with /", field("path"), check.path));
      }
    }
    auto filled = entry;
    filled.values["type"] = {"http", core::config::Source::file, entry.origin};
    filled.values["url"].text =
        has_path ? std::string(base_url.empty() ? k_placeholder_base : base_url) + check.path
                 : entry.text("url");
    check.spec = core::checks::spec_from(filled, array, index + 1);
    if (entry.is_set("name") &&
        (entry.text("name").empty() || !core::printable(entry.text("name")))) {
      // Shown in the table, on stderr and in JUnit: one printable line.
      core::throw_usage(
          fmt::format("{}: '{}' is not a name (expected one line of printable text)",
                      field("name"),
                      core::printable(entry.text("name")) ? entry.text("name") : "(not shown)"));
    }
    if (!entry.is_set("name")) {
      check.spec.name = fmt::format(
          "{} {}", check.spec.method, has_path ? check.path : core::redact_url(check.spec.url));
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

void apply_suite(const std::filesystem::path& file,
                 const core::config::Environment& environment,
                 Settings& settings,
                 std::vector<CustomCheck>& custom) {
  auto shown = fmt::format("--suite: {}", file.string());
  auto table = core::config::parse_toml(core::read_file(file, "--suite"), file.string(), shown);
  auto field = [&](const toml::node& node, std::string_view key) {
    return fmt::format("{}:{}: {}", file.string(), node.source().begin.line, key);
  };
  for (const auto& [raw_key, node] : table) {
    auto key = raw_key.str();
    if (std::find(k_suite_keys.begin(), k_suite_keys.end(), key) == k_suite_keys.end()) {
      auto suggestion = core::closest_match(key, k_suite_keys);
      core::throw_usage(fmt::format(
          "{}: unknown key{} (expected {})",
          field(node, key),
          suggestion.empty() ? std::string() : fmt::format(", did you mean '{}'?", suggestion),
          fmt::join(k_suite_keys, ", ")));
    }
  }
  if (const auto* node = table.get("base_url")) {
    settings.base_url =
        base_url_from(text(*node, field(*node, "base_url")), field(*node, "base_url"));
  }
  if (const auto* node = table.get("checks")) {
    settings.only = parse_builtins(strings(*node, field(*node, "checks")), field(*node, "checks"));
  }
  if (const auto* node = table.get("skip")) {
    settings.skip = parse_builtins(strings(*node, field(*node, "skip")), field(*node, "skip"));
  }
  if (const auto* node = table.get("slo")) {
    settings.latency.slo.clear();
    for (const auto& threshold : strings(*node, field(*node, "slo"))) {
      settings.latency.slo.push_back(core::load::parse_threshold(threshold, field(*node, "slo")));
    }
  }
  if (const auto* node = table.get("timeout")) {
    settings.timeout =
        core::parse_duration(text(*node, field(*node, "timeout")), field(*node, "timeout"));
    if (settings.timeout.count() <= 0) {
      core::throw_usage(fmt::format("{}: must be more than 0", field(*node, "timeout")));
    }
  }
  if (const auto* node = table.get("check")) {
    const auto* array = node->as_array();
    if (array == nullptr) {
      core::throw_usage(fmt::format("{}: expected [[check]] tables", field(*node, "check")));
    }
    // The config's [[verify.check]] keys, named as the suite writes them.
    auto spec = *core::config::find_table_array("verify.check");
    spec.name = "check";
    std::vector<std::string> problems;
    auto entries = core::config::read_entries(*array, spec, file, environment, problems);
    if (!problems.empty()) {
      core::throw_usage(fmt::format("{}", fmt::join(problems, "\n")));
    }
    auto checks = custom_checks_from(entries, "check", settings.base_url);
    custom.insert(custom.end(), checks.begin(), checks.end());
  }
}

} // namespace golfops::commands::verify
