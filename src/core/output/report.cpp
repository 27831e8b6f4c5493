#include "core/output/report.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

namespace golfops::core::output {

std::optional<Format> parse_format(std::string_view name) {
  if (name == "table") {
    return Format::table;
  }
  if (name == "json") {
    return Format::json;
  }
  if (name == "health+json") {
    return Format::health_json;
  }
  if (name == "prometheus") {
    return Format::prometheus;
  }
  return std::nullopt;
}

std::string render(const Report& report, Format format, bool color) {
  if (report.text) {
    return *report.text;
  }
  if (format == Format::health_json || format == Format::prometheus) {
    auto found = report.alternates.find(format);
    if (found == report.alternates.end()) {
      throw_usage(fmt::format("-o {}: this command offers table and json",
                              format == Format::prometheus ? "prometheus" : "health+json"));
    }
    return found->second;
  }
  if (format == Format::json) {
    return report.json.dump(2) + "\n";
  }
  std::string out;
  for (std::size_t index = 0; index < report.tables.size(); ++index) {
    if (index > 0) {
      out += '\n';
    }
    out += report.tables[index].render(color);
  }
  if (!report.notes.empty() && !out.empty()) {
    out += '\n';
  }
  for (const auto& note : report.notes) {
    out += note;
    out += '\n';
  }
  return out;
}

} // namespace golfops::core::output
