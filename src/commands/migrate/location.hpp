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

// Each statement as [begin, end) byte offsets, `end` past its ';' (or the
// end of the text). For no-transaction migrations, which must reach the
// server one statement at a time as psql sends them: in one multi-statement
// query PostgreSQL would wrap them all in an implicit transaction.
struct StatementRange {
  std::size_t begin = 0;
  std::size_t end = 0;
};
std::vector<StatementRange> statement_ranges(std::string_view sql);

// Past the `--` or `/* */` comment starting at `at` (the end of the text
// when it never closes); `at` itself when no comment starts there. For the
// lexers that read a statement's leading words.
std::size_t skip_comment(std::string_view sql, std::size_t at);

// Number of characters (not bytes) in sql[0, offset).
std::size_t characters_before(std::string_view sql, std::size_t offset);

struct SourceLocation {
  std::size_t line = 0;   // 1-based, 0 when unknown
  std::size_t column = 0; // 1-based, in characters
  std::string text;       // the source line
};

// Where a failing statement is: by PostgreSQL's 1-based character position
// when it gave one; else, for an error inside a DO block, by the PL/pgSQL
// line named in `context`; else at the start of the failing statement.
SourceLocation locate(std::string_view sql,
                      std::size_t position,
                      std::size_t statement_index,
                      std::string_view context = {});

} // namespace golfops::commands::migrate
