#include "core/load/schedule.hpp"

#include "core/error.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace golfops::core::load {

double parse_rate(std::string_view text, std::string_view field) {
  auto refuse = [&](std::string_view why) {
    throw_usage(fmt::format("{}: '{}' {} (expected requests per second like 500, 500/s or "
                            "30000/m)",
                            field,
                            text,
                            why));
  };
  auto slash = text.find('/');
  auto number = text.substr(0, slash);
  double count = 0;
  auto parsed = std::from_chars(number.data(), number.data() + number.size(), count);
  if (number.empty() || parsed.ec != std::errc() || parsed.ptr != number.data() + number.size() ||
      !std::isfinite(count)) {
    refuse("is not a rate");
  }
  double seconds = 1;
  if (slash != std::string_view::npos) {
    auto per = text.substr(slash + 1);
    if (per == "s" || per == "sec") {
      seconds = 1;
    } else if (per == "m" || per == "min") {
      seconds = 60;
    } else if (per == "h") {
      seconds = 3600;
    } else {
      seconds = static_cast<double>(parse_duration(per, field).count()) / 1000;
      if (seconds <= 0) {
        refuse("has no period");
      }
    }
  }
  double rate = count / seconds;
  if (rate <= 0) {
    refuse("must be more than 0");
  }
  if (rate > k_max_rate) {
    throw_usage(fmt::format(
        "{}: '{}' is more than {:.0f}/s, the most golfops schedules", field, text, k_max_rate));
  }
  return rate;
}

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
