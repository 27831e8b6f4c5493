#include "commands/migrate/location.hpp"

#include <cctype>
#include <cstdlib>
#include <string>

namespace golfops::commands::migrate {
namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         (static_cast<unsigned char>(c) & 0x80) != 0;
}

// Returns the length of a $tag$ opener at `at`, or 0.
std::size_t dollar_tag_length(std::string_view sql, std::size_t at) {
  if (at > 0 && (is_identifier_char(sql[at - 1]) || sql[at - 1] == '$')) {
    return 0; // $1 parameters, identifiers containing $
  }
  std::size_t end = at + 1;
  if (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end])) != 0) {
    return 0;
  }
  while (end < sql.size() && is_identifier_char(sql[end]) && sql[end] != '$') {
    ++end;
  }
  return end < sql.size() && sql[end] == '$' ? end - at + 1 : 0;
}

SourceLocation line_and_column(std::string_view sql, std::size_t offset) {
  SourceLocation location{1, 1, {}};
  std::size_t line_start = 0;
  for (std::size_t index = 0; index < offset && index < sql.size(); ++index) {
    if (sql[index] == '\n') {
      ++location.line;
      line_start = index + 1;
    }
  }
  for (std::size_t index = line_start; index < offset && index < sql.size(); ++index) {
    if ((static_cast<unsigned char>(sql[index]) & 0xC0) != 0x80) {
      ++location.column;
    }
  }
  auto line_end = sql.find('\n', line_start);
  location.text = std::string(sql.substr(
      line_start,
      line_end == std::string_view::npos ? sql.size() - line_start : line_end - line_start));
  while (!location.text.empty() && location.text.back() == '\r') {
    location.text.pop_back();
  }
  return location;
}

} // namespace

std::vector<StatementRange> statement_ranges(std::string_view sql) {
  std::vector<StatementRange> ranges;
  bool in_statement = false;
  std::size_t at = 0;
  auto begin_token = [&](std::size_t offset) {
    if (!in_statement) {
      ranges.push_back({offset, sql.size()});
      in_statement = true;
    }
  };
  while (at < sql.size()) {
    char c = sql[at];
    if (c == '-' && at + 1 < sql.size() && sql[at + 1] == '-') {
      auto end = sql.find('\n', at);
      at = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '/' && at + 1 < sql.size() && sql[at + 1] == '*') {
      int depth = 1;
      at += 2;
      while (at < sql.size() && depth > 0) {
        if (sql.compare(at, 2, "/*") == 0) {
          ++depth;
          at += 2;
        } else if (sql.compare(at, 2, "*/") == 0) {
          --depth;
          at += 2;
        } else {
          ++at;
        }
      }
    } else if (c == '\'' || c == '"') {
      begin_token(at);
      bool backslash_escapes = c == '\'' && at > 0 && (sql[at - 1] == 'E' || sql[at - 1] == 'e');
      ++at;
      while (at < sql.size()) {
        if (backslash_escapes && sql[at] == '\\') {
          at += 2;
          continue;
        }
        if (sql[at] == c) {
          if (at + 1 < sql.size() && sql[at + 1] == c) {
            at += 2; // doubled quote
            continue;
          }
          ++at;
          break;
        }
        ++at;
      }
    } else if (c == '$' && dollar_tag_length(sql, at) > 0) {
      begin_token(at);
      auto length = dollar_tag_length(sql, at);
      auto tag = sql.substr(at, length);
      auto close = sql.find(tag, at + length);
      at = close == std::string_view::npos ? sql.size() : close + length;
    } else if (c == ';') {
      if (in_statement) {
        ranges.back().end = at + 1;
      }
      in_statement = false;
      ++at;
    } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++at;
    } else {
      begin_token(at);
      ++at;
    }
  }
  return ranges;
}

std::vector<std::size_t> statement_starts(std::string_view sql) {
  std::vector<std::size_t> starts;
  for (const auto& range : statement_ranges(sql)) {
    starts.push_back(range.begin);
  }
  return starts;
}

std::size_t skip_comment(std::string_view sql, std::size_t at) {
  auto end_of = [&](std::string_view closer, std::size_t from) {
    auto found = sql.find(closer, from);
    return found == std::string_view::npos ? sql.size() : found + closer.size();
  };
  if (sql.substr(at, 2) == "--") {
    return end_of("\n", at);
  }
  if (sql.substr(at, 2) == "/*") {
    return end_of("*/", at + 2);
  }
  return at;
}

std::size_t characters_before(std::string_view sql, std::size_t offset) {
  std::size_t characters = 0;
  for (std::size_t index = 0; index < offset && index < sql.size(); ++index) {
    characters += (static_cast<unsigned char>(sql[index]) & 0xC0) != 0x80 ? 1 : 0;
  }
  return characters;
}

SourceLocation locate(std::string_view sql,
                      std::size_t position,
                      std::size_t statement_index,
                      std::string_view context) {
  if (position > 0) {
    // PostgreSQL counts characters, not bytes.
    std::size_t characters = 0;
    for (std::size_t offset = 0; offset < sql.size(); ++offset) {
      if ((static_cast<unsigned char>(sql[offset]) & 0xC0) != 0x80 && ++characters == position) {
        return line_and_column(sql, offset);
      }
    }
  }
  auto starts = statement_starts(sql);
  if (statement_index >= starts.size()) {
    return {};
  }
  auto start = starts[statement_index];
  // "PL/pgSQL function inline_code_block line 3 at PERFORM": line 3 of the DO
  // body, which begins right after the statement's first dollar quote.
  constexpr std::string_view k_marker = "inline_code_block line ";
  if (auto at = context.find(k_marker); at != std::string_view::npos) {
    auto body_line =
        std::strtoul(std::string(context.substr(at + k_marker.size())).c_str(), nullptr, 10);
    for (auto offset = start; offset < sql.size() && body_line > 0; ++offset) {
      if (sql[offset] == '$' && dollar_tag_length(sql, offset) > 0) {
        offset += dollar_tag_length(sql, offset);
        for (unsigned long line = 1; line < body_line && offset < sql.size(); ++offset) {
          line += sql[offset] == '\n' ? 1 : 0;
        }
        while (offset < sql.size() && (sql[offset] == ' ' || sql[offset] == '\t')) {
          ++offset;
        }
        return line_and_column(sql, offset);
      }
    }
  }
  return line_and_column(sql, start);
}

} // namespace golfops::commands::migrate
