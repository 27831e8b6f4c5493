#pragma once

#include "core/http/client.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace golfops::commands::health {

// A condition on an HTTP response, Gatus-style but also on headers:
//   $.status == "ok"          JSON path into the body
//   $.db.latency_ms < 100
//   header.content-type contains json
//   body contains healthy
//   status == 200
// Operators: == != < <= > >= contains. The right side is a JSON literal
// ("ok", 100, true, null) or a bare word.
struct Condition {
  std::string text;    // as written
  std::string subject; // "$.status", "header.content-type", "body", "status"
  std::string op;
  std::string expected; // the right side, unquoted
};

// Throws Error(usage) naming `field` when the condition cannot be parsed.
Condition parse_condition(std::string_view text, std::string_view field);

struct Verdict {
  bool ok = false;
  std::string reason;  // "body" or "header" (or "status") when not ok
  std::string message; // what was expected and what was seen
};

Verdict evaluate(const Condition& condition, const core::http::Response& response);

} // namespace golfops::commands::health
