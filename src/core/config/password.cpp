#include "core/config/password.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"

#include <fmt/format.h>

namespace golfops::core::config {

std::string resolve_password(const std::string& url_password,
                             const std::optional<std::string>& url_password_file,
                             const Value& url,
                             const Config& config,
                             std::string_view section) {
  auto key = fmt::format("{}.password_file", section);
  const auto& file_key = config.value(key);
  bool has_file_key = !file_key.text.empty();
  auto conflict = [&](std::string_view what) {
    throw_usage(fmt::format("{}.url: {} and {} both give a password ({} and {}); keep one",
                            section,
                            what,
                            key,
                            url.origin,
                            file_key.origin));
  };
  if (url_password_file) {
    if (has_file_key && file_key.source == url.source) {
      conflict("?password_file=");
    }
    if (!has_file_key || url.source > file_key.source) {
      return read_secret_file(*url_password_file, fmt::format("{}.url password_file", section));
    }
  }
  if (!url_password.empty()) {
    if (has_file_key && file_key.source == url.source) {
      conflict("the URL's password");
    }
    if (!has_file_key || url.source > file_key.source) {
      return url_password;
    }
  }
  return config.password_from_file(key);
}

} // namespace golfops::core::config
