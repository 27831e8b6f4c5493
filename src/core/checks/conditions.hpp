#pragma once

#include "core/checks/reason.hpp"
#include "core/http/client.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace golfops::core::checks {

// A condition on an HTTP response, Gatus-style but also on headers:
//   $.status == "ok"          JSON path into the body
//   $.db.latency_ms < 100
//   header.content-type contains json
//   body contains healthy
//   status == 200
// Operators: == != < <= > >= contains. The right side is a JSON literal
// ("ok", 100, true, null) or a bare word.
enum class Operator { equal, not_equal, less, less_equal, greater, greater_equal, contains };

// "==", "contains", ...
std::string_view to_string(Operator op);

struct Condition {
  std::string text;    // as written
  std::string subject; // "$.status", "header.content-type", "body", "status"
  Operator op = Operator::equal;
  std::string expected; // the right side, unquoted
};

// Throws Error(usage) naming `field` when the condition cannot be parsed.
Condition parse_condition(std::string_view text, std::string_view field);

struct Verdict {
  bool ok = false;
  Reason reason = Reason::none; // body, header or status when not ok
  std::string message;          // what was expected and what was seen
};

Verdict evaluate(const Condition& condition, const http::Response& response);

} // namespace golfops::core::checks
