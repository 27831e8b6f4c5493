#include "core/redact.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

namespace golfops::core {
namespace {

std::mutex g_mutex;
std::vector<std::string> g_secrets;

} // namespace

void register_secret(std::string_view secret) {
  // Very short values would redact ordinary words; they are still never
  // printed because every printer redacts at the source.
  if (secret.size() < 4) {
    return;
  }
  std::lock_guard lock(g_mutex);
  if (std::find(g_secrets.begin(), g_secrets.end(), secret) == g_secrets.end()) {
    g_secrets.emplace_back(secret);
    // Longest first, so a secret containing another is removed whole.
    std::sort(g_secrets.begin(), g_secrets.end(), [](const auto& a, const auto& b) {
      return a.size() > b.size();
    });
  }
}

namespace {

// [begin, end) of the password in scheme://user:password@host, or npos.
std::pair<std::size_t, std::size_t> password_span(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return {std::string_view::npos, 0};
  }
  auto authority = scheme + 3;
  auto authority_end = url.find_first_of("/?#", authority);
  auto at = url.rfind('@', authority_end == std::string_view::npos ? url.size() : authority_end);
  if (at == std::string_view::npos || at < authority) {
    return {std::string_view::npos, 0};
  }
  auto colon = url.find(':', authority);
  if (colon == std::string_view::npos || colon > at) {
    return {std::string_view::npos, 0};
  }
  return {colon + 1, at};
}

} // namespace

std::string url_password(std::string_view url) {
  auto [begin, end] = password_span(url);
  return begin == std::string_view::npos ? std::string()
                                         : std::string(url.substr(begin, end - begin));
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool secret_parameter(std::string_view name) {
  auto key = lower(name);
  for (std::string_view exact : {"key", "sig", "auth", "pass", "pwd", "code"}) {
    if (key == exact) {
      return true;
    }
  }
  for (std::string_view part : {"token",
                                "secret",
                                "password",
                                "passwd",
                                "api_key",
                                "apikey",
                                "api-key",
                                "signature",
                                "credential",
                                "session"}) {
    if (key.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// [begin, end) of every secret query value in `url`.
std::vector<std::pair<std::size_t, std::size_t>> secret_query_spans(std::string_view url) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  auto query = url.find('?');
  if (query == std::string_view::npos) {
    return spans;
  }
  auto end_of_query = url.find('#', query);
  if (end_of_query == std::string_view::npos) {
    end_of_query = url.size();
  }
  auto at = query + 1;
  while (at < end_of_query) {
    auto next = url.find('&', at);
    if (next == std::string_view::npos || next > end_of_query) {
      next = end_of_query;
    }
    auto equals = url.find('=', at);
    if (equals != std::string_view::npos && equals < next &&
        secret_parameter(url.substr(at, equals - at)) && next > equals + 1) {
      spans.emplace_back(equals + 1, next);
    }
    at = next + 1;
  }
  return spans;
}

// Redacts the password of every scheme://user:password@ in `text`.
void redact_embedded_urls(std::string& text) {
  for (auto scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    auto authority = scheme + 3;
    auto authority_end = text.find_first_of("/?# \t\n\"'", authority);
    if (authority_end == std::string::npos) {
      authority_end = text.size();
    }
    auto at = text.rfind('@', authority_end);
    if (at == std::string::npos || at < authority) {
      continue;
    }
    auto colon = text.find(':', authority);
    if (colon == std::string::npos || colon > at ||
        text.compare(colon + 1, at - colon - 1, k_redacted) == 0) {
      continue;
    }
    text.replace(colon + 1, at - colon - 1, k_redacted);
  }
}

} // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto spans = secret_query_spans(url);
  for (auto span = spans.rbegin(); span != spans.rend(); ++span) {
    out.replace(span->first, span->second - span->first, k_redacted);
  }
  auto [begin, end] = password_span(url);
  if (begin != std::string_view::npos) {
    out.replace(begin, end - begin, k_redacted);
  }
  return redact(out);
}

std::vector<std::string> url_secrets(std::string_view url) {
  std::vector<std::string> secrets;
  if (auto password = url_password(url); !password.empty()) {
    secrets.push_back(password);
  }
  for (auto [begin, end] : secret_query_spans(url)) {
    secrets.emplace_back(url.substr(begin, end - begin));
  }
  return secrets;
}

void register_credentials_in(std::string_view text) {
  for (auto at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    auto colon = text.rfind(':', at);
    if (colon == std::string_view::npos) {
      continue;
    }
    auto secret = text.substr(colon + 1, at - colon - 1);
    if (!secret.empty() && secret.find_first_of(" \t\n/'\"") == std::string_view::npos) {
      register_secret(secret);
    }
  }
  for (auto at = text.find("password="); at != std::string_view::npos;
       at = text.find("password=", at + 1)) {
    auto value = text.substr(at + 9);
    bool quoted = value.starts_with('\'');
    value.remove_prefix(quoted ? 1 : 0);
    register_secret(value.substr(0, value.find(quoted ? '\'' : ' ')));
  }
}

bool is_secret_variable(std::string_view name) {
  auto key = lower(name);
  for (std::string_view part : {"token",
                                "secret",
                                "passw",
                                "pwd",
                                "key",
                                "auth",
                                "credential",
                                "signature",
                                "private",
                                "session",
                                "cookie"}) {
    if (key.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool is_secret_header(std::string_view name) {
  auto key = lower(name);
  for (std::string_view exact : {"authorization", "proxy-authorization", "cookie", "set-cookie"}) {
    if (key == exact) {
      return true;
    }
  }
  for (std::string_view part :
       {"token", "secret", "password", "api-key", "apikey", "api_key", "auth"}) {
    if (key.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string header_secret(std::string_view name, std::string_view value) {
  if (!is_secret_header(name)) {
    return {};
  }
  // "Bearer abc", "Basic abc": the scheme is not the secret.
  auto key = lower(name);
  if ((key == "authorization" || key == "proxy-authorization")) {
    auto space = value.find(' ');
    if (space != std::string_view::npos) {
      return std::string(value.substr(space + 1));
    }
  }
  return std::string(value);
}

std::string redact_header_value(std::string_view name, std::string_view value) {
  auto secret = header_secret(name, value);
  if (secret.empty()) {
    return redact(value);
  }
  return std::string(value.substr(0, value.size() - secret.size())) + std::string(k_redacted);
}

std::string redact(std::string_view text) {
  std::string result(text);
  redact_embedded_urls(result);
  std::lock_guard lock(g_mutex);
  for (const auto& secret : g_secrets) {
    for (auto at = result.find(secret); at != std::string::npos;
         at = result.find(secret, at + k_redacted.size())) {
      result.replace(at, secret.size(), k_redacted);
    }
  }
  return result;
}

} // namespace golfops::core
