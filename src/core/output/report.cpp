#include "core/output/report.hpp"

namespace golfops::core::output {

std::string render(const Report& report, Format format, bool color) {
  if (report.text) {
    return *report.text;
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
