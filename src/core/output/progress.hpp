#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <string_view>

namespace golfops::core::output {

// Progress of long work (many migrations, a backup, a load test). On a
// terminal one line is redrawn; with --progress and no terminal each step is
// a line; otherwise (cron, CI) nothing is written.
class Progress {
public:
  virtual ~Progress() = default;
  virtual void step(std::size_t done, std::size_t total, std::string_view label) = 0;
  // A state without a count ("dumping golf: 120 MiB, 80 MiB/s"); callers
  // throttle it (about once a second).
  virtual void status(std::string_view label) = 0;
  virtual void finish() = 0;
};

enum class ProgressMode { silent, lines, terminal };

std::unique_ptr<Progress> make_progress(ProgressMode mode, std::ostream& stream);

} // namespace golfops::core::output
