#include "core/output/confirm.hpp"

#include <algorithm>
#include <cctype>
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

} // namespace golfops::core::output
