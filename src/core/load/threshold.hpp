#pragma once

#include "core/load/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace golfops::core::load {

// A pass/fail condition on a result, as written on the command line:
// 'p95<50ms', 'p99.9<=1s', 'mean<20ms', 'error_rate<1%', 'rps>1000',
// 'throttled_rate<5%', 'requests>=10000'. load --threshold, load --slo and
// verify --slo share it.
struct Threshold {
  enum class Metric { latency, rps, error_rate, throttled_rate, requests, errors };
  enum class Comparison { less, less_equal, greater, greater_equal };

  std::string text; // as written
  Metric metric = Metric::latency;
  // latency: the quantile (0.95 for p95), or -1 min, -2 mean, 2 max.
  double quantile = 0;
  Comparison comparison = Comparison::less;
  double limit = 0; // nanoseconds, a fraction, per second or a count
};

// Throws Error(usage) naming `field`, the text and what is allowed.
Threshold parse_threshold(std::string_view text, std::string_view field);

struct Verdict {
  bool passed = false;
  double observed = 0; // in the threshold's unit
  std::string shown;   // "42.1ms", "0.20%", "1523/s"
};

Verdict evaluate(const Threshold& threshold, const Result& result);

// How a latency in nanoseconds reads: 850us, 42.1ms, 1.25s.
std::string format_latency(double nanoseconds);

} // namespace golfops::core::load
