#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace golfops::core::load {

// The most requests per second golfops schedules.
inline constexpr double k_max_rate = 2000000;

// "500", "500/s", "30000/m", "100/1s": requests per second. Throws
// Error(usage) naming `field`, the text and what is allowed.
double parse_rate(std::string_view text, std::string_view field);

// One stretch of the open model: over `duration` the rate moves in a
// straight line from where the last stage ended to `target` requests/s.
struct Stage {
  std::chrono::nanoseconds duration;
  double target = 0;
};

// When each request of the open model is due: the arrival schedule, fixed
// before the run, so the server's speed cannot change when requests are
// sent (that is what makes latency measured from the due time honest).
class Schedule {
public:
  // Starts at `start_rate` requests/s; each stage follows the last.
  Schedule(double start_rate, std::vector<Stage> stages);

  std::chrono::nanoseconds duration() const;
  // How many requests the whole schedule sends.
  double total() const;
  // The highest rate the schedule reaches, requests/s.
  double peak_rate() const;
  // The rate at `elapsed` since the start, requests/s.
  double rate_at(std::chrono::nanoseconds elapsed) const;
  // When request `index` (0, 1, 2 ... in order) is due, since the start;
  // nullopt once the schedule has ended.
  std::optional<std::chrono::nanoseconds> due(double index) const;

private:
  struct Segment {
    double start_s;
    double length_s;
    double from_rate;
    double to_rate;
    double before; // requests due before the segment starts
  };
  std::vector<Segment> m_segments;
};

} // namespace golfops::core::load
