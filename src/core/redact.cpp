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
