#include "core/output/report.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

namespace golfops::core::output {

std::string render(const Report& report, std::string_view format, bool color) {
  if (report.text) {
    return *report.text;
  }
  if (format != k_table && format != k_json) {
    auto found = report.alternates.find(format);
    if (found == report.alternates.end()) {
      throw_usage(fmt::format("-o {}: this result renders as table or json", format));
    }
    return found->second;
  }
  if (format == k_json) {
    return report.json.dump(report.compact_json ? -1 : 2) + "\n";
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
