#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core {

// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo
// (at most a third of the word differs), else empty.
std::string_view closest_match(std::string_view word, std::span<const std::string_view> candidates);

std::vector<std::string> split(std::string_view text, char separator);

// No control characters (below 0x20, or DEL): text safe to show on one line.
bool printable(std::string_view text);

// Text safe inside HTML or XML, in elements and quoted attributes alike:
// & < > " ' as entities, and the control characters XML 1.0 forbids (all
// but tab and line breaks) as '?', so any message makes a well-formed file.
std::string escape_markup(std::string_view text);

// Equal but for ASCII case: HTTP header names.
bool iequals(std::string_view a, std::string_view b);

std::string join(std::span<const std::string> parts, std::string_view separator);

} // namespace golfops::core
