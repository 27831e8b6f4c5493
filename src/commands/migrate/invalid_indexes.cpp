#include "commands/migrate/invalid_indexes.hpp"

#include "commands/migrate/location.hpp"
#include "core/pg/client.hpp"

#include <cctype>
#include <fmt/format.h>

namespace golfops::commands::migrate {
namespace {

struct Token {
  std::string text;   // as written ("\"My Index\"", "public", "(")
  std::string folded; // an identifier as PostgreSQL stores it; "" for punctuation
  bool keyword(std::string_view word) const {
    return text.front() != '"' && folded.size() == word.size() &&
           std::equal(folded.begin(), folded.end(), word.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  }
};

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The first `count` tokens of one statement: identifiers (bare or quoted)
// and single punctuation characters; comments and spaces skipped. A string
// or dollar quote ends the scan: nothing this file looks for comes after it.
std::vector<Token> tokens(std::string_view statement, std::size_t count) {
  std::vector<Token> found;
  std::size_t at = 0;
  while (at < statement.size() && found.size() < count) {
    char c = statement[at];
    if (auto past = skip_comment(statement, at); past != at) {
      at = past;
    } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++at;
    } else if (c == '"') {
      Token token{"\"", ""};
      ++at;
      while (at < statement.size()) {
        if (statement[at] == '"' && statement.substr(at, 2) != "\"\"") {
          break;
        }
        auto step = statement[at] == '"' ? 2 : 1; // "" is one quote
        token.folded += statement[at];
        token.text.append(statement.substr(at, step));
        at += step;
      }
      token.text += '"';
      ++at;
      found.push_back(std::move(token));
    } else if (c == '\'' || c == '$') {
      break;
    } else if (identifier_char(c)) {
      Token token;
      while (at < statement.size() && identifier_char(statement[at])) {
        token.text += statement[at];
        token.folded += static_cast<char>(std::tolower(static_cast<unsigned char>(statement[at])));
        ++at;
      }
      found.push_back(std::move(token));
    } else {
      found.push_back({std::string(1, c), ""});
      ++at;
    }
  }
  return found;
}

// CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table
std::optional<ConcurrentBuild> parse_build(const std::vector<Token>& words) {
  std::size_t at = 0;
  auto next_is = [&](std::string_view word) {
    if (at < words.size() && words[at].keyword(word)) {
      ++at;
      return true;
    }
    return false;
  };
  if (!next_is("create")) {
    return std::nullopt;
  }
  next_is("unique");
  if (!next_is("index") || !next_is("concurrently")) {
    return std::nullopt;
  }
  if (next_is("if") && !(next_is("not") && next_is("exists"))) {
    return std::nullopt;
  }
  ConcurrentBuild build;
  if (at < words.size() && !words[at].keyword("on") && !words[at].folded.empty()) {
    build.index = words[at++].folded;
  }
  if (!next_is("on")) {
    return std::nullopt;
  }
  next_is("only");
  // table or schema.table
  while (at < words.size() && !words[at].folded.empty()) {
    build.table += words[at++].text;
    if (at + 1 < words.size() && words[at].text == ".") {
      build.table += '.';
      ++at;
      continue;
    }
    break;
  }
  if (build.table.empty()) {
    return std::nullopt;
  }
  return build;
}

// Invalid indexes, minus those whose build is still running in a session
// other than ours and the interrupted one.
constexpr std::string_view k_invalid_sql = R"(
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                  WHERE p.index_relid = i.indexrelid
                    AND p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND p.pid NOT IN (pg_backend_pid(), $1::int)))";

std::set<std::string> column(const core::pg::Result& result) {
  std::set<std::string> values;
  for (std::size_t row = 0; row < result.rows(); ++row) {
    values.insert(result.text(row, 0));
  }
  return values;
}

} // namespace

std::vector<ConcurrentBuild> concurrent_builds(std::string_view sql) {
  std::vector<ConcurrentBuild> builds;
  for (const auto& range : statement_ranges(sql)) {
    if (auto build = parse_build(tokens(sql.substr(range.begin, range.end - range.begin), 16))) {
      builds.push_back(std::move(*build));
    }
  }
  return builds;
}

std::set<std::string> invalid_indexes(core::pg::Client& client, int interrupted) {
  return column(client.execute(std::string(k_invalid_sql), {std::to_string(interrupted)}));
}

std::set<std::string> invalid_indexes_of(core::pg::Client& client,
                                         const std::vector<ConcurrentBuild>& builds,
                                         int interrupted) {
  std::set<std::string> found;
  for (const auto& build : builds) {
    auto matching = column(client.execute(
        std::string(k_invalid_sql) + " AND i.indrelid = to_regclass($2) AND ($3 = '' OR c.relname "
                                     "= $3)",
        {std::to_string(interrupted), build.table, build.index}));
    found.insert(matching.begin(), matching.end());
  }
  return found;
}

std::vector<std::string> describe_invalid(const std::set<std::string>& indexes) {
  std::vector<std::string> lines;
  for (const auto& index : indexes) {
    lines.push_back(fmt::format(
        "index {} is INVALID (a concurrent build failed): queries never use it but every write "
        "still updates it, and a rerun with IF NOT EXISTS would keep it; remove it with: DROP "
        "INDEX CONCURRENTLY IF EXISTS {};",
        index,
        index));
  }
  return lines;
}

} // namespace golfops::commands::migrate
