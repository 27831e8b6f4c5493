#pragma once

#include "core/output/table.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::output {

enum class Format { table, json, health_json, prometheus };

// Parses an -o value; nullopt when unknown.
std::optional<Format> parse_format(std::string_view name);

// What a command's result becomes for display: the same facts as stable JSON
// (-o json; keys documented in docs/json.md) and as tables with notes for a
// person. `text`, when set, is printed as-is in every format (a completion
// script, a man page).
struct Report {
  nlohmann::json json = nlohmann::json::object();
  std::vector<Table> tables;
  std::vector<std::string> notes;
  std::optional<std::string> text;
  // Extra renderings a command offers (-o health+json, -o prometheus).
  std::map<Format, std::string> alternates = {};
};

// Renders a report to the bytes written on stdout. Throws Error(usage) for a
// format the command does not offer.
std::string render(const Report& report, Format format, bool color);

} // namespace golfops::core::output
