#pragma once

#include <istream>
#include <ostream>
#include <string_view>

namespace golfops::core::output {

// Asks before a destructive step. Only a person at a terminal can answer;
// without one (cron, CI, a pipe) nobody is asked and the caller needs --yes.
class Confirm {
public:
  Confirm(std::istream& in, std::ostream& out, bool interactive)
      : m_in(in), m_out(out), m_interactive(interactive) {}

  bool interactive() const { return m_interactive; }

  // Writes "question [y/N] " and reads one line: true only for y or yes
  // (any case). End of input or anything else is no.
  bool ask(std::string_view question) const;

  // Goes on when `yes` (--yes) was given or the person at the terminal
  // answers yes to "golfops: <what> on <where>. Continue?"; otherwise throws
  // Error(refused): without a terminal, saying --yes is needed; after a no,
  // that nothing was changed.
  void require(bool yes, std::string_view what, std::string_view where) const;

private:
  std::istream& m_in;
  std::ostream& m_out;
  bool m_interactive;
};

} // namespace golfops::core::output
