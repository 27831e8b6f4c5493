#include "core/output/confirm.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <string>

namespace golfops::core::output {

bool Confirm::ask(std::string_view question) const {
  m_out << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(m_in, answer)) {
    m_out << "\n";
    return false;
  }
  std::string word;
  for (unsigned char c : answer) {
    if (!std::isspace(c)) {
      word += static_cast<char>(std::tolower(c));
    }
  }
  return word == "y" || word == "yes";
}

void Confirm::require(bool yes, std::string_view what, std::string_view where) const {
  if (yes) {
    return;
  }
  if (!interactive()) {
    throw_refused(
        fmt::format("{} is destructive: pass --yes to confirm (stdin is not a terminal)", what));
  }
  if (!ask(fmt::format("golfops: {} on {}. Continue?", what, where))) {
    throw_refused(fmt::format("{}: not confirmed, nothing was changed", what));
  }
}

} // namespace golfops::core::output
