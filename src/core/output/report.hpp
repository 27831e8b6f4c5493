#pragma once

#include "core/output/table.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace golfops::core::output {

enum class Format { table, json };

// What a command's result becomes for display: the same facts as stable JSON
// (-o json; keys documented in docs/json.md) and as tables with notes for a
// person. `text`, when set, is printed as-is in every format (a completion
// script, a man page).
struct Report {
  nlohmann::json json = nlohmann::json::object();
  std::vector<Table> tables;
  std::vector<std::string> notes;
  std::optional<std::string> text;
};

// Renders a report to the bytes written on stdout.
std::string render(const Report& report, Format format, bool color);

} // namespace golfops::core::output
