#include "commands/dev/quote.hpp"

#include <fmt/format.h>

namespace golfops::commands::dev {
namespace {

bool is_control(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Both config formats take C-like escapes inside a quoted string; they differ
// in the quote, how it is escaped, and how a control byte is written.
std::string
c_escaped(std::string_view value, char quote, std::string_view escaped_quote, bool octal_controls) {
  std::string out(1, quote);
  for (char c : value) {
    if (c == quote) {
      out += escaped_quote;
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (is_control(c)) {
      auto byte = static_cast<unsigned char>(c);
      out += octal_controls ? fmt::format("\\{:03o}", byte) : fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out + quote;
}

} // namespace

std::string postgres_conf_quote(std::string_view value) {
  // guc-file.l reads '' as a quote and processes C-like backslash escapes
  // (\b \f \n \r \t, octal) inside the quotes.
  return c_escaped(value, '\'', "''", true);
}

std::string postgres_list_element(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::string redis_conf_quote(std::string_view value) {
  // sdssplitargs: "..." with \" \\ \n \r \t and \xHH.
  return c_escaped(value, '"', "\\\"", false);
}

std::string shell_quote(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("/._-+:@%,=").find(c) != std::string_view::npos;
    plain = plain && safe;
  }
  if (plain) {
    return std::string(value);
  }
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

} // namespace golfops::commands::dev
