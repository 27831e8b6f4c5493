#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace golfops::core {

// Latencies in a log-linear histogram (as HdrHistogram): 128 buckets per
// power of two, so any percentile is within 1% of the recorded value, in
// fixed memory whatever the count. One per thread; merge() to combine.
class Histogram {
public:
  Histogram();
  void record(std::chrono::nanoseconds latency);
  void merge(const Histogram& other);

  std::uint64_t count() const { return m_count; }
  std::chrono::nanoseconds min() const;
  std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(m_max); }
  std::chrono::nanoseconds mean() const;
  // The latency below which `quantile` (0 to 1) of the recorded ones fall:
  // the upper edge of its bucket, never above max().
  std::chrono::nanoseconds percentile(double quantile) const;
  // The sum of every recorded value (the mean's numerator, kept exact so
  // merged results have the same mean as one run over everything).
  std::uint64_t sum() const { return m_total; }

  // The buckets that hold values, as (index, count): what a result file
  // stores, so a histogram crosses machines and merges exactly.
  using Bucket = std::pair<std::uint32_t, std::uint64_t>;
  std::vector<Bucket> buckets() const;
  // Rebuilds a histogram from buckets() (ascending) and the exact sum, min
  // and max.
  // Returns false (leaving it empty) when an index is out of range or the
  // parts disagree: the file was not written by a histogram like this one.
  bool assign(const std::vector<Bucket>& buckets,
              std::uint64_t sum,
              std::uint64_t min,
              std::uint64_t max);
  void clear();

private:
  std::vector<std::uint64_t> m_buckets;
  std::uint64_t m_count = 0;
  std::uint64_t m_total = 0;
  std::uint64_t m_min = UINT64_MAX;
  std::uint64_t m_max = 0;
};

} // namespace golfops::core
