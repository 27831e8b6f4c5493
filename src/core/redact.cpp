#include "core/redact.hpp"

#include <algorithm>
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

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto [begin, end] = password_span(url);
  if (begin != std::string_view::npos) {
    out.replace(begin, end - begin, k_redacted);
  }
  return redact(out);
}

std::string redact(std::string_view text) {
  std::string result(text);
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
