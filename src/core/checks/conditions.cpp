#include "core/checks/conditions.hpp"

#include "core/error.hpp"

#include <array>
#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace golfops::core::checks {
namespace {

// Longest first where one spelling starts another (<= before <).
constexpr std::array<std::pair<std::string_view, Operator>, 7> k_operators{{
    {" contains ", Operator::contains},
    {" == ", Operator::equal},
    {" != ", Operator::not_equal},
    {" <= ", Operator::less_equal},
    {" >= ", Operator::greater_equal},
    {" < ", Operator::less},
    {" > ", Operator::greater},
}};

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  auto end = text.find_last_not_of(" \t");
  return begin == std::string_view::npos ? "" : std::string(text.substr(begin, end - begin + 1));
}

std::optional<double> as_number(const std::string& text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// $.a.b[0].c → a JSON pointer /a/b/0/c.
std::optional<nlohmann::json::json_pointer> pointer_of(const std::string& path) {
  std::string pointer;
  std::size_t at = 1; // after '$'
  while (at < path.size()) {
    if (path[at] == '.') {
      auto end = path.find_first_of(".[", at + 1);
      auto name = path.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
      if (name.empty()) {
        return std::nullopt;
      }
      pointer += "/" + name;
      at = end == std::string::npos ? path.size() : end;
    } else if (path[at] == '[') {
      auto end = path.find(']', at);
      if (end == std::string::npos) {
        return std::nullopt;
      }
      pointer.append(1, '/').append(path, at + 1, end - at - 1);
      at = end + 1;
    } else {
      return std::nullopt;
    }
  }
  try {
    return nlohmann::json::json_pointer(pointer);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool compare(const std::string& seen, Operator op, const std::string& expected) {
  if (op == Operator::contains) {
    return seen.find(expected) != std::string::npos;
  }
  auto left = as_number(seen);
  auto right = as_number(expected);
  if (left && right) {
    switch (op) {
    case Operator::equal:
      return *left == *right;
    case Operator::not_equal:
      return *left != *right;
    case Operator::less:
      return *left < *right;
    case Operator::less_equal:
      return *left <= *right;
    case Operator::greater:
      return *left > *right;
    case Operator::greater_equal:
      return *left >= *right;
    case Operator::contains:
      break;
    }
  }
  if (op == Operator::equal) {
    return seen == expected;
  }
  if (op == Operator::not_equal) {
    return seen != expected;
  }
  return false; // ordering needs numbers
}

} // namespace

std::string_view to_string(Operator op) {
  for (const auto& [spelling, candidate] : k_operators) {
    if (candidate == op) {
      return spelling.substr(1, spelling.size() - 2);
    }
  }
  return "==";
}

Condition parse_condition(std::string_view text, std::string_view field) {
  for (const auto& [spelling, op] : k_operators) {
    auto at = text.find(spelling);
    if (at == std::string_view::npos) {
      continue;
    }
    Condition condition{
        std::string(text), trim(text.substr(0, at)), op, trim(text.substr(at + spelling.size()))};
    // A JSON literal on the right: "ok" → ok; numbers, true, null as written.
    if (condition.expected.size() >= 2 && condition.expected.front() == '"' &&
        condition.expected.back() == '"') {
      auto literal = nlohmann::json::parse(condition.expected, nullptr, false);
      if (!literal.is_string()) {
        break; // "a"b" is not one JSON string
      }
      condition.expected = literal.get<std::string>();
    }
    bool subject_ok = condition.subject == "status" || condition.subject == "body" ||
                      (condition.subject.starts_with("header.") && condition.subject.size() > 7) ||
                      (condition.subject.starts_with("$") && pointer_of(condition.subject));
    if (!subject_ok) {
      break;
    }
    return condition;
  }
  throw_usage(
      fmt::format("{}: invalid condition '{}' (expected SUBJECT OP VALUE: SUBJECT is $.json.path, "
                  "header.NAME, body or status; OP is ==, !=, <, <=, >, >= or contains)",
                  field,
                  text));
}

Verdict evaluate(const Condition& condition, const http::Response& response) {
  std::string seen;
  auto reason = Reason::body;
  if (condition.subject == "status") {
    seen = std::to_string(response.status);
    reason = Reason::status;
  } else if (condition.subject == "body") {
    seen = response.body;
  } else if (condition.subject.starts_with("header.")) {
    reason = Reason::header;
    auto value = response.header(condition.subject.substr(7));
    if (!value) {
      return {false,
              reason,
              fmt::format(
                  "{}: no {} header in the response", condition.text, condition.subject.substr(7))};
    }
    seen = *value;
  } else {
    auto document = nlohmann::json::parse(response.body, nullptr, false);
    if (document.is_discarded()) {
      return {false, reason, fmt::format("{}: the body is not JSON", condition.text)};
    }
    auto pointer = *pointer_of(condition.subject);
    if (!document.contains(pointer)) {
      return {false,
              reason,
              fmt::format("{}: {} is not in the body", condition.text, condition.subject)};
    }
    const auto& value = document.at(pointer);
    seen = value.is_string() ? value.get<std::string>() : value.dump();
  }
  if (compare(seen, condition.op, condition.expected)) {
    return {true, Reason::none, ""};
  }
  auto shown = seen.size() > 80 ? seen.substr(0, 77) + "..." : seen;
  return {false, reason, fmt::format("expected {}, got '{}'", condition.text, shown)};
}

} // namespace golfops::core::checks
