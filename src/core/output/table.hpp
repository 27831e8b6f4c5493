#pragma once

#include <string>
#include <vector>

namespace golfops::core::output {

// An aligned text table (after ccache's TextTable). Cells are plain text;
// colour is applied by the renderer to whole cells so widths stay right.
class Table {
public:
  enum class Align { left, right };
  enum class Tone { plain, good, bad, warn, dim };

  struct Cell {
    std::string text;
    Tone tone = Tone::plain;
  };

  explicit Table(std::vector<std::string> headers);

  // Right-aligns a column (numbers, latencies).
  void align_right(std::size_t column);
  void add_row(std::vector<Cell> cells);

  bool empty() const { return m_rows.empty(); }
  std::string render(bool color) const;

private:
  std::vector<std::string> m_headers;
  std::vector<Align> m_align;
  std::vector<std::vector<Cell>> m_rows;
};

} // namespace golfops::core::output
