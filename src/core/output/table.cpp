#include "core/output/table.hpp"

#include <algorithm>

namespace golfops::core::output {
namespace {

std::string_view tone_start(Table::Tone tone) {
  switch (tone) {
  case Table::Tone::good:
    return "\033[32m";
  case Table::Tone::bad:
    return "\033[31m";
  case Table::Tone::warn:
    return "\033[33m";
  case Table::Tone::dim:
    return "\033[2m";
  case Table::Tone::plain:
    break;
  }
  return "";
}

// Display width of UTF-8 text: counts code points, not bytes.
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

} // namespace

Table::Table(std::vector<std::string> headers)
    : m_headers(std::move(headers)), m_align(m_headers.size(), Align::left) {}

void Table::align_right(std::size_t column) {
  if (column < m_align.size()) {
    m_align[column] = Align::right;
  }
}

void Table::add_row(std::vector<Cell> cells) {
  cells.resize(m_headers.size());
  m_rows.push_back(std::move(cells));
}

std::string Table::render(bool color) const {
  std::vector<std::size_t> widths(m_headers.size());
  for (std::size_t column = 0; column < m_headers.size(); ++column) {
    widths[column] = display_width(m_headers[column]);
    for (const auto& row : m_rows) {
      widths[column] = std::max(widths[column], display_width(row[column].text));
    }
  }
  std::string out;
  auto emit = [&](const std::string& text, std::size_t column, Tone tone, bool last) {
    auto padding = std::string(widths[column] - display_width(text), ' ');
    auto start = color ? tone_start(tone) : "";
    if (m_align[column] == Align::right) {
      out += padding;
    }
    out += start;
    out += text;
    if (!start.empty()) {
      out += "\033[0m";
    }
    if (!last) {
      if (m_align[column] == Align::left) {
        out += padding;
      }
      out += "  ";
    }
  };
  for (std::size_t column = 0; column < m_headers.size(); ++column) {
    emit(m_headers[column], column, color ? Tone::dim : Tone::plain, column + 1 == widths.size());
  }
  out += '\n';
  for (const auto& row : m_rows) {
    for (std::size_t column = 0; column < row.size(); ++column) {
      emit(row[column].text, column, row[column].tone, column + 1 == row.size());
    }
    out += '\n';
  }
  return out;
}

} // namespace golfops::core::output
