#include "core/load/threshold.hpp"

#include "core/error.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace golfops::core::load {
namespace {

constexpr std::string_view k_allowed =
    "expected METRIC<VALUE with METRIC one of p50, p95, p99, p99.9 (any pNN), min, mean, max "
    "(a time: 500us, 50ms, 1.5s), error_rate, throttled_rate (1% or 0.01), rps, requests, "
    "errors; and < <= > >=";

[[noreturn]] void refuse(std::string_view field, std::string_view text, std::string_view why) {
  throw_usage(fmt::format("{}: '{}' {}", field, text, why));
}

std::optional<double> number(std::string_view text) {
  double value = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() ||
      !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

// "500us", "50ms", "1.5s", "2m" into nanoseconds.
std::optional<double> latency(std::string_view text) {
  constexpr std::array<std::pair<std::string_view, double>, 6> units{
      {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}}};
  for (const auto& [suffix, factor] : units) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto value = number(text.substr(0, text.size() - suffix.size()));
      // "ms" also ends with "s": only a digit before the unit counts.
      auto before = text[text.size() - suffix.size() - 1];
      if (value && (std::isdigit(static_cast<unsigned char>(before)) != 0 || before == '.')) {
        return *value * factor;
      }
    }
  }
  return std::nullopt;
}

// "1%" or "0.01" into a fraction.
std::optional<double> fraction(std::string_view text) {
  if (text.ends_with('%')) {
    auto value = number(text.substr(0, text.size() - 1));
    return value && *value <= 100 ? std::optional<double>(*value / 100) : std::nullopt;
  }
  auto value = number(text);
  return value && *value <= 1 ? value : std::nullopt;
}

} // namespace

std::string format_latency(double nanoseconds) {
  if (nanoseconds < 1e6) {
    return fmt::format("{:.0f}us", nanoseconds / 1e3);
  }
  if (nanoseconds < 1e9) {
    return fmt::format("{:.{}f}ms", nanoseconds / 1e6, nanoseconds < 1e8 ? 2 : 1);
  }
  return fmt::format("{:.2f}s", nanoseconds / 1e9);
}

Threshold parse_threshold(std::string_view text, std::string_view field) {
  Threshold threshold;
  threshold.text = std::string(text);
  auto at = text.find_first_of("<>");
  if (at == std::string_view::npos || at == 0) {
    refuse(field, text, k_allowed);
  }
  auto name = text.substr(0, at);
  while (!name.empty() && name.back() == ' ') {
    name.remove_suffix(1);
  }
  bool greater = text[at] == '>';
  bool equal = at + 1 < text.size() && text[at + 1] == '=';
  threshold.comparison =
      greater ? (equal ? Threshold::Comparison::greater_equal : Threshold::Comparison::greater)
              : (equal ? Threshold::Comparison::less_equal : Threshold::Comparison::less);
  auto value = text.substr(at + (equal ? 2 : 1));
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }

  using Metric = Threshold::Metric;
  std::optional<double> limit;
  if (name == "min" || name == "mean" || name == "max" || name.starts_with('p')) {
    threshold.metric = Metric::latency;
    if (name == "min") {
      threshold.quantile = -1;
    } else if (name == "mean") {
      threshold.quantile = -2;
    } else if (name == "max") {
      threshold.quantile = 2;
    } else {
      auto percent = number(name.substr(1));
      if (!percent || *percent <= 0 || *percent >= 100) {
        refuse(field, text, fmt::format("has no metric '{}': {}", name, k_allowed));
      }
      threshold.quantile = *percent / 100;
    }
    limit = latency(value);
    if (!limit) {
      refuse(field,
             text,
             fmt::format("compares {} with '{}', which is not a time like 500us, "
                         "50ms or 1.5s",
                         name,
                         value));
    }
  } else if (name == "error_rate" || name == "throttled_rate") {
    threshold.metric = name == "error_rate" ? Metric::error_rate : Metric::throttled_rate;
    limit = fraction(value);
    if (!limit) {
      refuse(field,
             text,
             fmt::format("compares {} with '{}', which is not a share like 1% or "
                         "0.01",
                         name,
                         value));
    }
  } else if (name == "rps" || name == "requests" || name == "errors") {
    threshold.metric = name == "rps"        ? Metric::rps
                       : name == "requests" ? Metric::requests
                                            : Metric::errors;
    limit = number(value);
    if (!limit) {
      refuse(field, text, fmt::format("compares {} with '{}', which is not a number", name, value));
    }
  } else {
    refuse(field, text, fmt::format("has no metric '{}': {}", name, k_allowed));
  }
  threshold.limit = *limit;
  return threshold;
}

Verdict evaluate(const Threshold& threshold, const Result& result) {
  Verdict verdict;
  using Metric = Threshold::Metric;
  const auto& latencies = result.total.latency;
  switch (threshold.metric) {
  case Metric::latency: {
    auto value = threshold.quantile == -1   ? latencies.min()
                 : threshold.quantile == -2 ? latencies.mean()
                 : threshold.quantile == 2  ? latencies.max()
                                            : latencies.percentile(threshold.quantile);
    verdict.observed = static_cast<double>(value.count());
    verdict.shown = format_latency(verdict.observed);
    break;
  }
  case Metric::rps:
    verdict.observed = result.rps();
    verdict.shown = fmt::format("{:.1f}/s", verdict.observed);
    break;
  case Metric::error_rate:
    verdict.observed = result.error_rate();
    verdict.shown = fmt::format("{:.2f}%", verdict.observed * 100);
    break;
  case Metric::throttled_rate:
    verdict.observed = result.throttled_rate();
    verdict.shown = fmt::format("{:.2f}%", verdict.observed * 100);
    break;
  case Metric::requests:
    verdict.observed = static_cast<double>(result.total.requests);
    verdict.shown = fmt::format("{}", result.total.requests);
    break;
  case Metric::errors:
    verdict.observed = static_cast<double>(result.total.errors_total());
    verdict.shown = fmt::format("{}", result.total.errors_total());
    break;
  }
  switch (threshold.comparison) {
  case Threshold::Comparison::less:
    verdict.passed = verdict.observed < threshold.limit;
    break;
  case Threshold::Comparison::less_equal:
    verdict.passed = verdict.observed <= threshold.limit;
    break;
  case Threshold::Comparison::greater:
    verdict.passed = verdict.observed > threshold.limit;
    break;
  case Threshold::Comparison::greater_equal:
    verdict.passed = verdict.observed >= threshold.limit;
    break;
  }
  // A latency threshold over no answers at all cannot pass.
  if (threshold.metric == Metric::latency && latencies.count() == 0) {
    verdict.passed = false;
    verdict.shown = "no answers";
  }
  return verdict;
}

} // namespace golfops::core::load
