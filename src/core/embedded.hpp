#pragma once

#include <span>
#include <string_view>

namespace golfops::core {

// A file compiled into the binary (cmake/Embed.cmake): its name without
// directory or extension, and its text.
struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};

} // namespace golfops::core
