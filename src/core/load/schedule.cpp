#include "core/load/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace golfops::core::load {

Schedule::Schedule(double start_rate, std::vector<Stage> stages) {
  double at = 0;
  double before = 0;
  double rate = start_rate;
  for (const auto& stage : stages) {
    double length = std::chrono::duration<double>(stage.duration).count();
    if (length <= 0) {
      rate = stage.target;
      continue;
    }
    m_segments.push_back({at, length, rate, stage.target, before});
    before += (rate + stage.target) / 2 * length;
    at += length;
    rate = stage.target;
  }
}

std::chrono::nanoseconds Schedule::duration() const {
  if (m_segments.empty()) {
    return std::chrono::nanoseconds(0);
  }
  const auto& last = m_segments.back();
  return std::chrono::nanoseconds(std::llround((last.start_s + last.length_s) * 1e9));
}

double Schedule::total() const {
  if (m_segments.empty()) {
    return 0;
  }
  const auto& last = m_segments.back();
  return last.before + (last.from_rate + last.to_rate) / 2 * last.length_s;
}

double Schedule::peak_rate() const {
  double peak = 0;
  for (const auto& segment : m_segments) {
    peak = std::max({peak, segment.from_rate, segment.to_rate});
  }
  return peak;
}

double Schedule::rate_at(std::chrono::nanoseconds elapsed) const {
  double at = std::chrono::duration<double>(elapsed).count();
  for (const auto& segment : m_segments) {
    if (at < segment.start_s + segment.length_s) {
      double into = std::max(0.0, at - segment.start_s) / segment.length_s;
      return segment.from_rate + (segment.to_rate - segment.from_rate) * into;
    }
  }
  return 0;
}

std::optional<std::chrono::nanoseconds> Schedule::due(double index) const {
  for (const auto& segment : m_segments) {
    double in_segment = (segment.from_rate + segment.to_rate) / 2 * segment.length_s;
    double wanted = index - segment.before;
    if (wanted >= in_segment) {
      continue;
    }
    // Requests due by x seconds into the segment: a*x + b*x*x/2 with the
    // rate a + b*x. Solved for x in the form that stays exact when b is 0
    // and when a ramp starts from a rate of 0.
    double a = segment.from_rate;
    double b = (segment.to_rate - segment.from_rate) / segment.length_s;
    double root = std::sqrt(std::max(0.0, a * a + 2 * b * wanted));
    double x = a + root > 0 ? 2 * wanted / (a + root) : 0;
    return std::chrono::nanoseconds(std::llround((segment.start_s + x) * 1e9));
  }
  return std::nullopt;
}

} // namespace golfops::core::load
