#include "core/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace golfops::core {
namespace {

constexpr unsigned k_sub_bucket_bits = 7; // 128 buckets per power of two
constexpr std::uint64_t k_sub_buckets = 1U << k_sub_bucket_bits;
constexpr unsigned k_max_shift = 64 - k_sub_bucket_bits;

// Values below 128 ns have a bucket each; above, the top 8 bits select one.
std::size_t bucket_of(std::uint64_t value) {
  if (value < k_sub_buckets) {
    return value;
  }
  auto shift = static_cast<unsigned>(std::bit_width(value)) - (k_sub_bucket_bits + 1);
  return k_sub_buckets + shift * k_sub_buckets + ((value >> shift) - k_sub_buckets);
}

// The largest value that lands in `bucket`.
std::uint64_t upper_edge(std::size_t bucket) {
  if (bucket < k_sub_buckets) {
    return bucket;
  }
  auto shift = (bucket - k_sub_buckets) / k_sub_buckets;
  auto mantissa = k_sub_buckets + (bucket - k_sub_buckets) % k_sub_buckets;
  return ((mantissa + 1) << shift) - 1;
}

} // namespace

Histogram::Histogram() : m_buckets(k_sub_buckets + (k_max_shift + 1) * k_sub_buckets, 0) {}

void Histogram::record(std::chrono::nanoseconds latency) {
  auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  ++m_buckets[bucket_of(value)];
  ++m_count;
  m_total += value;
  m_min = std::min(m_min, value);
  m_max = std::max(m_max, value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t index = 0; index < m_buckets.size(); ++index) {
    m_buckets[index] += other.m_buckets[index];
  }
  m_count += other.m_count;
  m_total += other.m_total;
  m_min = std::min(m_min, other.m_min);
  m_max = std::max(m_max, other.m_max);
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
  std::vector<Bucket> held;
  for (std::size_t index = 0; index < m_buckets.size(); ++index) {
    if (m_buckets[index] != 0) {
      held.emplace_back(static_cast<std::uint32_t>(index), m_buckets[index]);
    }
  }
  return held;
}

bool Histogram::assign(const std::vector<Bucket>& buckets,
                       std::uint64_t sum,
                       std::uint64_t min,
                       std::uint64_t max) {
  clear();
  std::uint64_t count = 0;
  std::int64_t previous = -1;
  for (const auto& [index, held] : buckets) {
    // In ascending order, as buckets() writes them.
    if (index >= m_buckets.size() || held == 0 || static_cast<std::int64_t>(index) <= previous) {
      clear();
      return false;
    }
    m_buckets[index] = held;
    count += held;
    previous = index;
  }
  if (count > 0 && (min > max || bucket_of(min) != buckets.front().first ||
                    bucket_of(max) != buckets.back().first)) {
    clear();
    return false;
  }
  m_count = count;
  m_total = sum;
  m_min = count == 0 ? UINT64_MAX : min;
  m_max = count == 0 ? 0 : max;
  return true;
}

void Histogram::clear() {
  std::fill(m_buckets.begin(), m_buckets.end(), 0);
  m_count = 0;
  m_total = 0;
  m_min = UINT64_MAX;
  m_max = 0;
}

std::chrono::nanoseconds Histogram::min() const {
  return std::chrono::nanoseconds(m_count == 0 ? 0 : m_min);
}

std::chrono::nanoseconds Histogram::mean() const {
  return std::chrono::nanoseconds(m_count == 0 ? 0 : m_total / m_count);
}

std::chrono::nanoseconds Histogram::percentile(double quantile) const {
  if (m_count == 0) {
    return std::chrono::nanoseconds(0);
  }
  auto wanted = static_cast<std::uint64_t>(
      std::ceil(std::clamp(quantile, 0.0, 1.0) * static_cast<double>(m_count)));
  wanted = std::max<std::uint64_t>(wanted, 1);
  std::uint64_t seen = 0;
  for (std::size_t index = 0; index < m_buckets.size(); ++index) {
    seen += m_buckets[index];
    if (seen >= wanted) {
      return std::chrono::nanoseconds(std::min(upper_edge(index), m_max));
    }
  }
  return std::chrono::nanoseconds(m_max);
}

} // namespace golfops::core
