#include "commands/dev/quote.hpp"

#include <fmt/format.h>

namespace golfops::commands::dev {
namespace {

bool is_control(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

} // namespace

std::string postgres_conf_quote(std::string_view value) {
  // guc-file.l reads '' as a quote and processes C-like backslash escapes
  // (\b \f \n \r \t, octal) inside the quotes.
  std::string out = "'";
  for (char c : value) {
    switch (c) {
    case '\'':
      out += "''";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (is_control(c)) {
        out += fmt::format("\\{:03o}", static_cast<unsigned char>(c));
      } else {
        out += c;
      }
    }
  }
  return out + "'";
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
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (is_control(c)) {
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
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
