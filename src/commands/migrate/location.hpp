#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::commands::migrate {

// Byte offsets where each statement of a script starts (its first token),
// skipping comments and empty statements. A lexer aware of quotes, comments
// and dollar quoting; used only to point at a failing statement, never to
// split what is executed (the server gets the file as written).
std::vector<std::size_t> statement_starts(std::string_view sql);

struct SourceLocation {
  std::size_t line = 0;   // 1-based, 0 when unknown
  std::size_t column = 0; // 1-based, in characters
  std::string text;       // the source line
};

// Where a failing statement is: by PostgreSQL's 1-based character position
// when it gave one, else by the index of the failing statement.
SourceLocation locate(std::string_view sql, std::size_t position, std::size_t statement_index);

} // namespace golfops::commands::migrate
