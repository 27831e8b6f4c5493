#include "core/config/toml_document.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

namespace golfops::core::config {

toml::table parse_toml(std::string_view text, std::string_view path, std::string_view shown) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    throw_usage(fmt::format("{}:{}:{}: invalid TOML: {}",
                            shown,
                            error.source().begin.line,
                            error.source().begin.column,
                            error.description()));
  }
}

} // namespace golfops::core::config
