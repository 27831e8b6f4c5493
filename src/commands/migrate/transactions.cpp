#include "commands/migrate/transactions.hpp"

#include "commands/migrate/location.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <vector>

namespace golfops::commands::migrate {
namespace {

// The first words of a statement, upper-cased: comments, punctuation and
// parenthesised option lists are skipped, a quote or dollar quote ends it.
std::vector<std::string> leading_words(std::string_view statement, std::size_t count) {
  std::vector<std::string> words;
  std::size_t at = 0;
  while (at < statement.size() && words.size() < count) {
    char c = statement[at];
    if (auto past = skip_comment(statement, at); past != at) {
      at = past;
    } else if (c == '\'' || c == '"' || c == '$') {
      break;
    } else if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
      std::string word;
      while (
          at < statement.size() &&
          (std::isalnum(static_cast<unsigned char>(statement[at])) != 0 || statement[at] == '_')) {
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(statement[at])));
        ++at;
      }
      words.push_back(std::move(word));
    } else {
      ++at;
    }
  }
  return words;
}

bool has(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

enum class Kind { other, begin, commit, other_control, needs_no_transaction };

// The kind of a statement and the words that make it so, for the message.
std::pair<Kind, std::string> kind_of(const std::vector<std::string>& words) {
  if (words.empty()) {
    return {Kind::other, {}};
  }
  const auto& first = words[0];
  auto second = words.size() > 1 ? words[1] : std::string();
  if (first == "BEGIN" || (first == "START" && second == "TRANSACTION")) {
    return {Kind::begin, first == "BEGIN" ? "BEGIN" : "START TRANSACTION"};
  }
  if ((first == "COMMIT" && second != "PREPARED") || first == "END") {
    return {Kind::commit, first};
  }
  if (first == "ROLLBACK" || first == "ABORT" || first == "SAVEPOINT" || first == "RELEASE" ||
      first == "COMMIT" || (first == "PREPARE" && second == "TRANSACTION")) {
    return {Kind::other_control,
            first == "PREPARE" || first == "COMMIT" ? first + " " + second : first};
  }
  bool concurrently = has(words, "CONCURRENTLY");
  if ((first == "CREATE" || first == "DROP") && has(words, "INDEX") && concurrently) {
    return {Kind::needs_no_transaction, first + " INDEX CONCURRENTLY"};
  }
  if (first == "REINDEX" && concurrently) {
    return {Kind::needs_no_transaction, "REINDEX ... CONCURRENTLY"};
  }
  if (first == "VACUUM" || (first == "CLUSTER" && words.size() == 1)) {
    return {Kind::needs_no_transaction, first};
  }
  if (((first == "CREATE" || first == "DROP") &&
       (second == "DATABASE" || second == "TABLESPACE")) ||
      (first == "ALTER" && second == "SYSTEM")) {
    return {Kind::needs_no_transaction, first + " " + second};
  }
  return {Kind::other, {}};
}

struct Found {
  StatementRange range;
  Kind kind;
  std::string words; // "CREATE INDEX CONCURRENTLY", for the message
};

} // namespace

std::string runnable_sql(const Script& script) {
  if (!script.transactional) {
    return script.sql;
  }
  std::vector<Found> statements;
  bool in_atomic_body = false; // CREATE FUNCTION ... BEGIN ATOMIC ... END: one statement
  for (const auto& range : statement_ranges(script.sql)) {
    auto text = std::string_view(script.sql).substr(range.begin, range.end - range.begin);
    auto words = leading_words(text, 6);
    if (in_atomic_body) {
      in_atomic_body = words.empty() || words[0] != "END";
      continue;
    }
    auto all = leading_words(text, 64);
    for (std::size_t index = 0; index + 1 < all.size(); ++index) {
      if (all[index] == "BEGIN" && all[index + 1] == "ATOMIC") {
        in_atomic_body = true;
      }
    }
    if (in_atomic_body && !words.empty() && words[0] != "BEGIN") {
      statements.push_back({range, Kind::other, {}});
      continue;
    }
    auto [kind, shown] = kind_of(words);
    statements.push_back({range, kind, shown});
  }
  auto line_of = [&](const Found& found) {
    return static_cast<std::size_t>(
               std::count(script.sql.begin(),
                          script.sql.begin() + static_cast<long>(found.range.begin),
                          '\n')) +
           script.first_line;
  };
  std::string sql = script.sql;
  bool wrapped = statements.size() >= 2 && statements.front().kind == Kind::begin &&
                 statements.back().kind == Kind::commit;
  if (wrapped) {
    for (const auto* found : {&statements.front(), &statements.back()}) {
      for (auto at = found->range.begin; at < found->range.end; ++at) {
        if (sql[at] != '\n') {
          sql[at] = ' ';
        }
      }
    }
    statements.erase(statements.begin());
    statements.pop_back();
  }
  // The statement that ends or splits the transaction is the one to name;
  // a lone BEGIN only when there is none.
  std::stable_partition(statements.begin(), statements.end(), [](const Found& found) {
    return found.kind != Kind::begin;
  });
  for (const auto& found : statements) {
    if (found.kind == Kind::begin || found.kind == Kind::commit ||
        found.kind == Kind::other_control) {
      core::throw_usage(fmt::format(
          "{}:{}: {} in a migration golfops runs in one transaction: a COMMIT or ROLLBACK midway "
          "would keep part of the file when a later statement fails. Remove it (a BEGIN first and "
          "COMMIT last are fine), or put '-- golfops:no-transaction' at the top to manage "
          "transactions yourself",
          script.path.string(),
          line_of(found),
          found.words));
    }
    if (found.kind == Kind::needs_no_transaction) {
      core::throw_usage(fmt::format(
          "{}:{}: {} cannot run inside a transaction block: put '-- golfops:no-transaction' on the "
          "first line of {} (its statements then run one at a time), best alone in its own "
          "migration",
          script.path.string(),
          line_of(found),
          found.words,
          script.path.filename().string()));
    }
  }
  return sql;
}

} // namespace golfops::commands::migrate
