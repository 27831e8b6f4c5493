#pragma once

#include "core/output/table.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::output {

// The formats every command renders; a family adds its own (-o prometheus)
// through Report::alternates and declares them when it registers.
inline constexpr std::string_view k_table = "table";
inline constexpr std::string_view k_json = "json";

// What a command's result becomes for display: the same facts as stable JSON
// (-o json; keys documented in docs/json.md) and as tables with notes for a
// person. `text`, when set, is printed as-is in every format (a completion
// script, a man page).
struct Report {
  nlohmann::json json = nlohmann::json::object();
  std::vector<Table> tables;
  std::vector<std::string> notes;
  std::optional<std::string> text;
  // Renderings in the formats a family declared, by -o name.
  std::map<std::string, std::string, std::less<>> alternates = {};
  // One line of JSON instead of indented: data files (a load result keeps a
  // histogram per second; indented, a long run's file is ten times larger).
  bool compact_json = false;
};

// Renders a report to the bytes written on stdout in `format` (table, json or
// one of report.alternates). Throws Error(usage) for a format the report lacks.
std::string render(const Report& report, std::string_view format, bool color);

} // namespace golfops::core::output
