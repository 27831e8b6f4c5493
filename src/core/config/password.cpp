#include "core/config/password.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"

#include <fmt/format.h>

namespace golfops::core::config {

std::string resolve_password(const std::string& url_password,
                             const std::optional<std::string>& url_password_file,
                             const Value& url,
                             const Config& config,
                             std::string_view section,
                             std::string* origin) {
  auto from = [&](std::string where) {
    if (origin != nullptr) {
      *origin = std::move(where);
    }
  };
  auto url_origin = [&] {
    return url.source == Source::file ? fmt::format("{}.url at {}", section, url.origin)
                                      : fmt::format("the URL given by {}", url.origin);
  };
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
      from(fmt::format("{} (?password_file={})", url_origin(), *url_password_file));
      return read_secret_file(*url_password_file, fmt::format("{}.url password_file", section));
    }
  }
  if (!url_password.empty()) {
    if (has_file_key && file_key.source == url.source) {
      conflict("the URL's password");
    }
    if (!has_file_key || url.source > file_key.source) {
      from(url_origin());
      return url_password;
    }
  }
  if (has_file_key) {
    from(fmt::format("{} = {} ({})", key, file_key.text, file_key.origin));
  }
  return config.password_from_file(key);
}

} // namespace golfops::core::config
