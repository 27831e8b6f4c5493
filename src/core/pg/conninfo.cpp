#include "core/pg/conninfo.hpp"

#include "core/error.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <memory>

namespace golfops::core::pg {
namespace {

bool is_url(std::string_view text) {
  return text.starts_with("postgres://") || text.starts_with("postgresql://");
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (text[at] == '%' && at + 2 < text.size()) {
      auto hex = std::string(text.substr(at + 1, 2));
      if (std::isxdigit(static_cast<unsigned char>(hex[0])) &&
          std::isxdigit(static_cast<unsigned char>(hex[1]))) {
        out += static_cast<char>(std::stoi(hex, nullptr, 16));
        at += 2;
        continue;
      }
    }
    out += text[at];
  }
  return out;
}

// Removes `password_file=...` from a URL's query string or a key=value string.
std::string take_password_file(std::string_view text, std::optional<std::string>& password_file) {
  if (is_url(text)) {
    auto question = text.find('?');
    if (question == std::string_view::npos) {
      return std::string(text);
    }
    std::vector<std::string> kept;
    for (auto& parameter : split(text.substr(question + 1), '&')) {
      if (parameter.starts_with("password_file=")) {
        password_file = percent_decode(parameter.substr(14));
      } else if (!parameter.empty()) {
        kept.push_back(parameter);
      }
    }
    auto base = std::string(text.substr(0, question));
    return kept.empty() ? base : base + "?" + join(kept, "&");
  }
  std::vector<std::string> kept;
  for (auto& word : split(text, ' ')) {
    if (word.starts_with("password_file=")) {
      password_file = word.substr(14);
    } else if (!word.empty()) {
      kept.push_back(word);
    }
  }
  return join(kept, " ");
}

std::string quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

} // namespace

std::optional<std::string> Conninfo::get(std::string_view keyword) const {
  for (const auto& [name, value] : parameters) {
    if (name == keyword) {
      return value;
    }
  }
  return std::nullopt;
}

void Conninfo::set(std::string_view keyword, std::string value) {
  for (auto& [name, existing] : parameters) {
    if (name == keyword) {
      existing = std::move(value);
      return;
    }
  }
  parameters.emplace_back(keyword, std::move(value));
}

std::string Conninfo::to_string() const {
  std::vector<std::string> words;
  for (const auto& [name, value] : parameters) {
    words.push_back(name + "=" + quote(value));
  }
  return join(words, " ");
}

std::string Conninfo::to_display() const {
  std::vector<std::string> words;
  for (const auto& [name, value] : parameters) {
    words.push_back(name + "=" + (name == "password" ? std::string(k_redacted) : quote(value)));
  }
  return join(words, " ");
}

Conninfo parse_conninfo(std::string_view text, std::string_view field) {
  Conninfo conninfo;
  auto cleaned = take_password_file(text, conninfo.password_file);
  char* error_message = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(cleaned.c_str(), &error_message), &PQconninfoFree);
  if (!options) {
    // libpq echoes the text it could not parse: hide its credentials first.
    register_credentials_in(text);
    std::string message = error_message != nullptr ? error_message : "out of memory";
    PQfreemem(error_message);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    throw_usage(fmt::format("{}: invalid PostgreSQL connection string '{}': {}",
                            field,
                            redact_connection_string(text),
                            message));
  }
  for (auto* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr) {
      conninfo.parameters.emplace_back(option->keyword, option->val);
    }
  }
  if (auto password = conninfo.get("password")) {
    register_secret(*password);
  }
  // libpq checks ports only when connecting; a typo should fail at config time.
  if (auto ports = conninfo.get("port")) {
    for (const auto& port : split(*ports, ',')) {
      int number = 0;
      auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
      if (!port.empty() && (error != std::errc() || end != port.data() + port.size() ||
                            number < 1 || number > 65535)) {
        throw_usage(fmt::format("{}: invalid PostgreSQL connection string '{}': port '{}' is not "
                                "a number from 1 to 65535",
                                field,
                                redact_connection_string(text),
                                port));
      }
    }
  }
  return conninfo;
}

std::string redact_connection_string(std::string_view text) {
  if (is_url(text)) {
    return redact_url(text);
  }
  std::string out(text);
  auto at = out.find("password=");
  if (at != std::string::npos) {
    auto end = out.find(' ', at);
    out.replace(at + 9, end == std::string::npos ? std::string::npos : end - at - 9, k_redacted);
  }
  return redact(out);
}

std::string describe_target(const Conninfo& conninfo) {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> defaults(PQconndefaults(),
                                                                        &PQconninfoFree);
  auto resolved = [&](std::string_view keyword) -> std::string {
    if (auto given = conninfo.get(keyword)) {
      return *given;
    }
    for (auto* option = defaults.get(); option && option->keyword != nullptr; ++option) {
      if (keyword == option->keyword && option->val != nullptr) {
        return option->val;
      }
    }
    return {};
  };
  auto host = resolved("host");
  if (host.empty()) {
    host = resolved("hostaddr");
  }
  if (host.empty()) {
    host = "/var/run/postgresql";
  }
  auto port = resolved("port");
  auto user = resolved("user");
  auto dbname = resolved("dbname");
  return fmt::format(
      "{}:{}/{}", host, port.empty() ? "5432" : port, dbname.empty() ? user : dbname);
}

} // namespace golfops::core::pg
