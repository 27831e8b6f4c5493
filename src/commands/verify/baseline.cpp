#include "commands/verify/verify.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace golfops::commands::verify {
namespace {

constexpr std::string_view k_format = "golfops-verify-baseline";

// A field of a baseline file, or Error(usage) naming it and what it must be.
[[noreturn]] void malformed(std::string_view file, std::string_view field, std::string_view want) {
  core::throw_usage(fmt::format("{}: {}: expected {}", file, field, want));
}

const nlohmann::json& member(const nlohmann::json& object,
                             std::string_view file,
                             const std::string& field,
                             const char* key) {
  if (!object.is_object() || !object.contains(key)) {
    malformed(file, field, "it to be there");
  }
  return object[key];
}

std::optional<double>
latency_value(const nlohmann::json& latency, std::string_view file, const char* key) {
  auto field = fmt::format("latency.{}", key);
  const auto& value = member(latency, file, field, key);
  if (value.is_null()) {
    return std::nullopt;
  }
  if (!value.is_number() || value.get<double>() < 0 || !std::isfinite(value.get<double>())) {
    malformed(file, field, "a number of at least 0, or null");
  }
  return value.get<double>();
}

std::string shown(std::optional<double> value, std::string_view unit) {
  if (!value) {
    return "none";
  }
  return unit == "%" ? fmt::format("{:.2f}%", *value * 100) : fmt::format("{:.3f}{}", *value, unit);
}

// Migration versions are numbers (0005, 20240105120000) or, in other tools'
// layouts, text; numbers compare as numbers.
bool older(const std::string& a, const std::string& b) {
  auto digits = [](const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (digits(a) && digits(b)) {
    auto strip = [](const std::string& text) {
      auto first = text.find_first_not_of('0');
      return first == std::string::npos ? std::string("0") : text.substr(first);
    };
    auto left = strip(a);
    auto right = strip(b);
    return left.size() != right.size() ? left.size() < right.size() : left < right;
  }
  return a < b;
}

} // namespace

std::string baseline_json(const Snapshot& snapshot) {
  nlohmann::json json;
  json["format"] = k_format;
  json["version"] = 1;
  json["base_url"] = snapshot.base_url;
  json["taken_at"] = snapshot.taken_at;
  json["checks"] = nlohmann::json::object();
  for (const auto& [name, status] : snapshot.checks) {
    json["checks"][name] = to_string(status);
  }
  auto number = [](std::optional<double> value) {
    return value ? nlohmann::json(*value) : nlohmann::json();
  };
  json["latency"] = {{"p50_ms", number(snapshot.p50_ms)},
                     {"p95_ms", number(snapshot.p95_ms)},
                     {"p99_ms", number(snapshot.p99_ms)},
                     {"error_rate", number(snapshot.error_rate)}};
  json["migration_version"] =
      snapshot.migration_version ? nlohmann::json(*snapshot.migration_version) : nlohmann::json();
  json["rules_revision"] =
      snapshot.rules_revision ? nlohmann::json(*snapshot.rules_revision) : nlohmann::json();
  return json.dump(2) + "\n";
}

Snapshot read_baseline(const std::filesystem::path& file) {
  auto field = fmt::format("--baseline: {}", file.string());
  auto text = core::read_file(file, "--baseline", 1 << 20);
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || json.value("format", "") != k_format) {
    core::throw_usage(fmt::format("{}: not a baseline file (expected the JSON --save-baseline "
                                  "writes)",
                                  field));
  }
  Snapshot snapshot;
  const auto& version = member(json, field, "version", "version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != 1) {
    core::throw_usage(fmt::format("{}: version {} (expected 1)", field, version.dump()));
  }
  auto string_field = [&](const char* key) {
    const auto& value = member(json, field, key, key);
    if (!value.is_string()) {
      malformed(field, key, "a string");
    }
    return value.get<std::string>();
  };
  snapshot.base_url = string_field("base_url");
  snapshot.taken_at = string_field("taken_at");
  const auto& checks = member(json, field, "checks", "checks");
  if (!checks.is_object()) {
    malformed(field, "checks", "an object of check names and pass, fail or skip");
  }
  for (const auto& [name, status] : checks.items()) {
    auto word = status.is_string() ? status.get<std::string>() : status.dump();
    if (word != "pass" && word != "fail" && word != "skip") {
      malformed(field, fmt::format("checks.{}", name), "pass, fail or skip");
    }
    snapshot.checks.emplace_back(name,
                                 word == "pass"   ? Status::pass
                                 : word == "skip" ? Status::skip
                                                  : Status::fail);
  }
  const auto& latency = member(json, field, "latency", "latency");
  snapshot.p50_ms = latency_value(latency, field, "p50_ms");
  snapshot.p95_ms = latency_value(latency, field, "p95_ms");
  snapshot.p99_ms = latency_value(latency, field, "p99_ms");
  snapshot.error_rate = latency_value(latency, field, "error_rate");
  if (const auto& migration = member(json, field, "migration_version", "migration_version");
      !migration.is_null()) {
    if (!migration.is_string()) {
      malformed(field, "migration_version", "a string or null");
    }
    snapshot.migration_version = migration.get<std::string>();
  }
  if (const auto& revision = member(json, field, "rules_revision", "rules_revision");
      !revision.is_null()) {
    if (!revision.is_number_integer() || revision.get<std::int64_t>() < 0) {
      malformed(field, "rules_revision", "a whole number of at least 0, or null");
    }
    snapshot.rules_revision = revision.get<std::int64_t>();
  }
  return snapshot;
}

std::vector<Comparison>
compare(const Snapshot& before, const Snapshot& after, const Settings::Tolerances& tolerances) {
  std::vector<Comparison> comparisons;
  for (const auto& [name, status] : before.checks) {
    auto now = std::find_if(after.checks.begin(), after.checks.end(), [&](const auto& entry) {
      return entry.first == name;
    });
    // Only what got worse: a check that passed then and fails now.
    if (now == after.checks.end() || status != Status::pass || now->second != Status::fail) {
      continue;
    }
    comparisons.push_back({fmt::format("check {}", name), "pass", "fail", "pass", true});
  }
  auto latency = [&](std::string_view what, std::optional<double> was, std::optional<double> is) {
    if (!was || !is) {
      return;
    }
    auto bound = *was * (1 + tolerances.latency_increase) + tolerances.latency_slack_ms;
    comparisons.push_back({std::string(what),
                           shown(was, "ms"),
                           shown(is, "ms"),
                           fmt::format("<= {:.3f}ms (+{:.0f}% +{:.0f}ms)",
                                       bound,
                                       tolerances.latency_increase * 100,
                                       tolerances.latency_slack_ms),
                           *is > bound});
  };
  latency("p50", before.p50_ms, after.p50_ms);
  latency("p95", before.p95_ms, after.p95_ms);
  latency("p99", before.p99_ms, after.p99_ms);
  if (before.error_rate && after.error_rate) {
    auto bound = *before.error_rate + tolerances.error_rate_increase;
    comparisons.push_back({"error_rate",
                           shown(before.error_rate, "%"),
                           shown(after.error_rate, "%"),
                           fmt::format("<= {:.2f}%", bound * 100),
                           *after.error_rate > bound + 1e-12});
  }
  // Only what both runs measured: a check skipped now is not a regression.
  if (before.migration_version && after.migration_version) {
    comparisons.push_back({"migration_version",
                           *before.migration_version,
                           *after.migration_version,
                           fmt::format(">= {}", *before.migration_version),
                           older(*after.migration_version, *before.migration_version)});
  }
  if (before.rules_revision && after.rules_revision) {
    // Revision 0: Redis holds no rules at all (lost them in a restart).
    comparisons.push_back({"rules_revision",
                           std::to_string(*before.rules_revision),
                           std::to_string(*after.rules_revision),
                           fmt::format(">= {}", *before.rules_revision),
                           *after.rules_revision < *before.rules_revision});
  }
  return comparisons;
}

} // namespace golfops::commands::verify
