#include "core/redis/endpoint.hpp"

#include "core/error.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <charconv>
#include <curl/curl.h>
#include <fmt/format.h>
#include <memory>

namespace golfops::core::redis {
namespace {

using Url = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

std::optional<std::string> part(CURLU* url, CURLUPart which) {
  char* value = nullptr;
  if (curl_url_get(url, which, &value, CURLU_URLDECODE) != CURLUE_OK || value == nullptr) {
    return std::nullopt;
  }
  std::string text(value);
  curl_free(value);
  return text;
}

// A best-effort redaction of a URL we could not parse, for the error message.
std::string redact_raw(std::string_view text) {
  std::string out(text);
  auto scheme_end = out.find("://");
  auto start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto at = out.rfind('@');
  if (at != std::string::npos && at > start) {
    auto colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, k_redacted);
    }
  }
  return redact(out);
}

[[noreturn]] void
throw_invalid(std::string_view text, std::string_view field, std::string_view why) {
  throw_usage(fmt::format("{}: invalid Redis URL '{}': {} (expected "
                          "redis[s]://[[user]:password@]host[:port][/db])",
                          field,
                          redact_raw(text),
                          why));
}

} // namespace

std::string Endpoint::address() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

std::string Endpoint::to_display() const {
  std::string credentials;
  if (!user.empty() || !password.empty()) {
    credentials =
        password.empty() ? fmt::format("{}@", user) : fmt::format("{}:{}@", user, k_redacted);
  }
  return fmt::format("{}://{}{}/{}", tls ? "rediss" : "redis", credentials, address(), database);
}

void check_scheme(std::string_view text, std::string_view field) {
  register_secret(url_password(text));
  auto scheme_end = text.find("://");
  auto scheme = text.substr(0, scheme_end);
  if (scheme_end == std::string_view::npos) {
    throw_invalid(text, field, "no scheme");
  }
  if (scheme != "redis" && scheme != "rediss") {
    throw_invalid(text, field, fmt::format("scheme '{}' is not redis or rediss", scheme));
  }
}

Endpoint parse_endpoint(std::string_view text, std::string_view field) {
  Endpoint endpoint;
  if (text.empty()) {
    return endpoint;
  }
  check_scheme(text, field);
  auto invalid = [&](std::string_view why) { throw_invalid(text, field, why); };
  Url url(curl_url(), &curl_url_cleanup);
  auto owned = std::string(text);
  auto status = curl_url_set(url.get(), CURLUPART_URL, owned.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (status != CURLUE_OK) {
    invalid(curl_url_strerror(status));
  }
  auto scheme = part(url.get(), CURLUPART_SCHEME).value_or("");
  if (scheme != "redis" && scheme != "rediss") {
    invalid(fmt::format("scheme '{}' is not redis or rediss", scheme));
  }
  endpoint.tls = scheme == "rediss";
  endpoint.host = part(url.get(), CURLUPART_HOST).value_or("");
  if (endpoint.host.size() > 2 && endpoint.host.front() == '[') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  if (endpoint.host.empty()) {
    invalid("no host");
  }
  if (auto port = part(url.get(), CURLUPART_PORT)) {
    endpoint.port = std::stoi(*port);
  }
  endpoint.user = part(url.get(), CURLUPART_USER).value_or("");
  endpoint.password = part(url.get(), CURLUPART_PASSWORD).value_or("");
  register_secret(endpoint.password);
  auto path = part(url.get(), CURLUPART_PATH).value_or("/");
  if (path.size() > 1) {
    auto digits = std::string_view(path).substr(1);
    auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), endpoint.database);
    if (error != std::errc() || end != digits.data() + digits.size() || endpoint.database < 0) {
      invalid(fmt::format("database '{}' is not a number", digits));
    }
  }
  if (auto query = part(url.get(), CURLUPART_QUERY)) {
    for (const auto& parameter : split(*query, '&')) {
      if (parameter.starts_with("password_file=")) {
        endpoint.password_file = parameter.substr(14);
      } else if (!parameter.empty()) {
        invalid(fmt::format("unknown parameter '{}' (allowed: password_file)", parameter));
      }
    }
  }
  return endpoint;
}

} // namespace golfops::core::redis
