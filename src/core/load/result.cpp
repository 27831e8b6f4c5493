#include "core/load/result.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <fmt/format.h>

namespace golfops::core::load {
namespace {

constexpr std::string_view k_format = "golfops-load/1";
constexpr std::array<ErrorKind, k_error_kinds> k_kinds{
    ErrorKind::connect, ErrorKind::tls, ErrorKind::timeout, ErrorKind::read, ErrorKind::status};

double milliseconds(std::chrono::nanoseconds value) {
  return static_cast<double>(value.count()) / 1e6;
}

nlohmann::json latency_json(const Histogram& histogram) {
  return {{"min", milliseconds(histogram.min())},
          {"mean", milliseconds(histogram.mean())},
          {"p50", milliseconds(histogram.percentile(0.50))},
          {"p90", milliseconds(histogram.percentile(0.90))},
          {"p95", milliseconds(histogram.percentile(0.95))},
          {"p99", milliseconds(histogram.percentile(0.99))},
          {"p99_9", milliseconds(histogram.percentile(0.999))},
          {"max", milliseconds(histogram.max())}};
}

nlohmann::json histogram_json(const StoredHistogram& stored) {
  auto buckets = nlohmann::json::array();
  for (const auto& [index, count] : stored.buckets) {
    buckets.push_back({index, count});
  }
  return {{"unit", "ns"},
          {"sub_bucket_bits", 7},
          {"sum", stored.sum},
          {"min", stored.min},
          {"max", stored.max},
          {"buckets", std::move(buckets)}};
}

nlohmann::json tally_json(const Tally& tally) {
  auto statuses = nlohmann::json::object();
  for (const auto& [status, count] : tally.statuses) {
    statuses[std::to_string(status)] = count;
  }
  auto errors = nlohmann::json::object();
  for (auto kind : k_kinds) {
    errors[std::string(to_string(kind))] = tally.errors[static_cast<std::size_t>(kind)];
  }
  errors["total"] = tally.errors_total();
  return {{"requests", tally.requests},
          {"bytes", tally.bytes},
          {"throttled", tally.throttled},
          {"statuses", std::move(statuses)},
          {"errors", std::move(errors)},
          {"latency_ms", latency_json(tally.latency)},
          {"histogram", histogram_json(StoredHistogram::of(tally.latency))}};
}

// Reading a result file: every failure names the file and the field's
// path in it ("timeline[3].histogram: ..."), and shows at most a short
// scalar of what was there: a crafted file cannot make golfops print (or
// recurse through) a huge value.
std::string shown(const nlohmann::json& value) {
  if (value.is_structured()) {
    return fmt::format("a JSON {}", value.type_name());
  }
  auto text = value.dump();
  return text.size() > 40 ? fmt::format("'{}...'", text.substr(0, 40)) : fmt::format("'{}'", text);
}

class Reader {
public:
  explicit Reader(std::string_view source, std::string prefix = "")
      : m_source(source), m_prefix(std::move(prefix)) {}

  // A reader for a part of the file: its fields are named under `name`.
  Reader within(std::string_view name) const {
    return Reader(m_source, fmt::format("{}{}.", m_prefix, name));
  }

  [[noreturn]] void refuse(std::string_view field, std::string_view problem) const {
    throw_usage(fmt::format("{}: {}{}: {}", m_source, m_prefix, field, problem));
  }

  const nlohmann::json& at(const nlohmann::json& json, std::string_view field) const {
    if (!json.is_object()) {
      refuse(field, "missing (not a result file written by golfops load -o json)");
    }
    auto found = json.find(std::string(field));
    if (found == json.end()) {
      refuse(field, "missing (not a result file written by golfops load -o json)");
    }
    return *found;
  }

  const nlohmann::json& list(const nlohmann::json& json, std::string_view field) const {
    const auto& value = at(json, field);
    if (!value.is_array()) {
      refuse(field, fmt::format("{} is not a list", shown(value)));
    }
    return value;
  }

  std::uint64_t count(const nlohmann::json& json, std::string_view field) const {
    const auto& value = at(json, field);
    if (!value.is_number_unsigned() &&
        !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      refuse(field, fmt::format("{} is not a count", shown(value)));
    }
    return value.get<std::uint64_t>();
  }

  // A count that fits a signed 64-bit value (times, in whatever unit).
  std::int64_t whole(const nlohmann::json& json, std::string_view field) const {
    auto value = count(json, field);
    if (value > static_cast<std::uint64_t>(INT64_MAX)) {
      refuse(field, fmt::format("{} is out of range", value));
    }
    return static_cast<std::int64_t>(value);
  }

  // A finite number from 0 to `most`.
  double number(const nlohmann::json& json, std::string_view field, double most) const {
    const auto& value = at(json, field);
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0 ||
        value.get<double>() > most) {
      refuse(field, fmt::format("{} is not a number from 0 to {:g}", shown(value), most));
    }
    return value.get<double>();
  }

  std::string text(const nlohmann::json& json, std::string_view field) const {
    const auto& value = at(json, field);
    if (!value.is_string()) {
      refuse(field, fmt::format("{} is not a string", shown(value)));
    }
    return value.get<std::string>();
  }

  std::vector<std::string> texts(const nlohmann::json& json, std::string_view field) const {
    std::vector<std::string> values;
    for (const auto& value : list(json, field)) {
      if (!value.is_string()) {
        refuse(field, "not a list of strings");
      }
      values.push_back(value.get<std::string>());
    }
    return values;
  }

  Histogram histogram(const nlohmann::json& json, std::string_view field) const {
    const auto& value = at(json, field);
    auto part = within(field);
    if (part.text(value, "unit") != "ns" || part.count(value, "sub_bucket_bits") != 7) {
      refuse(field, "a histogram with other units or precision than this golfops writes");
    }
    StoredHistogram stored;
    stored.sum = part.count(value, "sum");
    stored.min = part.count(value, "min");
    stored.max = part.count(value, "max");
    for (const auto& bucket : part.list(value, "buckets")) {
      if (!bucket.is_array() || bucket.size() != 2 || !bucket[0].is_number_unsigned() ||
          !bucket[1].is_number_unsigned() || bucket[0].get<std::uint64_t>() > UINT32_MAX) {
        refuse(field, fmt::format("bucket {} is not [index, count]", shown(bucket)));
      }
      stored.buckets.emplace_back(bucket[0].get<std::uint32_t>(), bucket[1].get<std::uint64_t>());
    }
    Histogram histogram;
    if (!histogram.assign(stored.buckets, stored.sum, stored.min, stored.max)) {
      refuse(field, "buckets out of order or out of range, or min/max outside them");
    }
    return histogram;
  }

  Tally tally(const nlohmann::json& json) const {
    Tally tally;
    tally.requests = count(json, "requests");
    tally.bytes = count(json, "bytes");
    tally.throttled = count(json, "throttled");
    const auto& statuses = at(json, "statuses");
    if (!statuses.is_object()) {
      refuse("statuses", fmt::format("{} is not an object", shown(statuses)));
    }
    for (const auto& [status, value] : statuses.items()) {
      int code = 0;
      auto parsed = std::from_chars(status.data(), status.data() + status.size(), code);
      if (parsed.ec != std::errc() || code < 100 || code > 999 || !value.is_number_unsigned()) {
        refuse(fmt::format("statuses.{}", status.substr(0, 40)), "not a status code and a count");
      }
      tally.statuses[code] = value.get<std::uint64_t>();
    }
    const auto& errors = at(json, "errors");
    auto error_part = within("errors");
    for (auto kind : k_kinds) {
      tally.errors[static_cast<std::size_t>(kind)] = error_part.count(errors, to_string(kind));
    }
    tally.latency = histogram(json, "histogram");
    std::uint64_t answered = 0;
    for (const auto& [status, seen] : tally.statuses) {
      answered += seen;
    }
    if (answered + tally.transport_errors() != tally.requests) {
      refuse("requests",
             fmt::format("{} is not the statuses ({}) plus transport errors ({})",
                         tally.requests,
                         answered,
                         tally.transport_errors()));
    }
    return tally;
  }

private:
  std::string_view m_source;
  std::string m_prefix;
};

} // namespace

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::connect:
    return "connect";
  case ErrorKind::tls:
    return "tls";
  case ErrorKind::timeout:
    return "timeout";
  case ErrorKind::read:
    return "read";
  case ErrorKind::status:
    return "status";
  }
  return "";
}

std::uint64_t Tally::errors_total() const {
  std::uint64_t sum = 0;
  for (auto count : errors) {
    sum += count;
  }
  return sum;
}

std::uint64_t Tally::transport_errors() const {
  return errors_total() - errors[static_cast<std::size_t>(ErrorKind::status)];
}

void Tally::merge(const Tally& other) {
  requests += other.requests;
  bytes += other.bytes;
  throttled += other.throttled;
  for (const auto& [status, count] : other.statuses) {
    statuses[status] += count;
  }
  for (std::size_t index = 0; index < errors.size(); ++index) {
    errors[index] += other.errors[index];
  }
  latency.merge(other.latency);
}

StoredHistogram StoredHistogram::of(const Histogram& histogram) {
  return {histogram.buckets(),
          histogram.sum(),
          static_cast<std::uint64_t>(histogram.min().count()),
          static_cast<std::uint64_t>(histogram.max().count())};
}

Histogram StoredHistogram::restore() const {
  Histogram histogram;
  histogram.assign(buckets, sum, min, max);
  return histogram;
}

void RetryAfter::add(std::optional<std::int64_t> seconds) {
  if (!seconds) {
    ++without_header;
    return;
  }
  min_seconds = with_header == 0 ? *seconds : std::min(min_seconds, *seconds);
  max_seconds = with_header == 0 ? *seconds : std::max(max_seconds, *seconds);
  ++with_header;
}

void RetryAfter::merge(const RetryAfter& other) {
  if (other.with_header > 0) {
    min_seconds = with_header == 0 ? other.min_seconds : std::min(min_seconds, other.min_seconds);
    max_seconds = with_header == 0 ? other.max_seconds : std::max(max_seconds, other.max_seconds);
  }
  with_header += other.with_header;
  without_header += other.without_header;
}

double Result::rps() const {
  return seconds > 0 ? static_cast<double>(total.requests) / seconds : 0;
}

double Result::error_rate() const {
  return total.requests > 0
             ? static_cast<double>(total.errors_total()) / static_cast<double>(total.requests)
             : 0;
}

double Result::throttled_rate() const {
  return total.requests > 0
             ? static_cast<double>(total.throttled) / static_cast<double>(total.requests)
             : 0;
}

void merge_timelines(std::vector<Second>& into, const std::vector<Second>& other) {
  std::map<std::int64_t, Second> seconds;
  auto add = [&](const Second& second) {
    auto [slot, fresh] = seconds.try_emplace(second.unix_second, second);
    if (fresh) {
      return;
    }
    auto& held = slot->second;
    held.requests += second.requests;
    held.errors += second.errors;
    held.throttled += second.throttled;
    held.bytes += second.bytes;
    auto histogram = held.latency.restore();
    histogram.merge(second.latency.restore());
    held.latency = StoredHistogram::of(histogram);
  };
  for (const auto& second : into) {
    add(second);
  }
  for (const auto& second : other) {
    add(second);
  }
  into.clear();
  for (auto& [unix_second, second] : seconds) {
    into.push_back(std::move(second));
  }
}

void merge(Result& into, const Result& other) {
  auto end_ms = std::max(into.start_unix_ms + static_cast<std::int64_t>(into.seconds * 1000),
                         other.start_unix_ms + static_cast<std::int64_t>(other.seconds * 1000));
  into.start_unix_ms = std::min(into.start_unix_ms, other.start_unix_ms);
  into.seconds = static_cast<double>(end_ms - into.start_unix_ms) / 1000.0;
  if (into.target != other.target) {
    into.target = into.target + ", " + other.target;
  }
  if (into.model != other.model) {
    into.model = "mixed";
  }
  into.connections += other.connections;
  into.threads += other.threads;
  if (other.rate) {
    into.rate = into.rate.value_or(0) + *other.rate;
  }
  into.sources += other.sources;
  into.total.merge(other.total);
  for (const auto& [name, tally] : other.by_request) {
    auto found = std::find_if(into.by_request.begin(),
                              into.by_request.end(),
                              [&](const auto& entry) { return entry.first == name; });
    if (found == into.by_request.end()) {
      into.by_request.emplace_back(name, tally);
    } else {
      found->second.merge(tally);
    }
  }
  into.retry_after.merge(other.retry_after);
  merge_timelines(into.timeline, other.timeline);
  into.send_lag.merge(other.send_lag);
  into.queued += other.queued;
  into.max_queue_ns = std::max(into.max_queue_ns, other.max_queue_ns);
  into.unsent += other.unsent;
  into.busiest_thread = std::max(into.busiest_thread, other.busiest_thread);
  for (const auto& reason : other.invalid) {
    into.invalid.push_back(reason);
  }
  for (const auto& warning : other.warnings) {
    into.warnings.push_back(warning);
  }
  into.interrupted = into.interrupted || other.interrupted;
}

nlohmann::json to_json(const Result& result) {
  auto json = tally_json(result.total);
  json["format"] = k_format;
  json["target"] = result.target;
  json["model"] = result.model;
  json["connections"] = result.connections;
  json["threads"] = result.threads;
  json["rate"] = result.rate ? nlohmann::json(*result.rate) : nlohmann::json(nullptr);
  json["sources"] = result.sources;
  json["start_unix_ms"] = result.start_unix_ms;
  json["seconds"] = result.seconds;
  json["rps"] = result.rps();
  json["error_rate"] = result.error_rate();
  json["throttled_rate"] = result.throttled_rate();
  json["retry_after"] = {{"with_header", result.retry_after.with_header},
                         {"without_header", result.retry_after.without_header},
                         {"min_seconds", result.retry_after.min_seconds},
                         {"max_seconds", result.retry_after.max_seconds}};
  auto by_request = nlohmann::json::array();
  for (const auto& [name, tally] : result.by_request) {
    auto entry = tally_json(tally);
    entry["name"] = name;
    by_request.push_back(std::move(entry));
  }
  json["by_request"] = std::move(by_request);
  auto timeline = nlohmann::json::array();
  for (const auto& second : result.timeline) {
    auto latency = second.latency.restore();
    timeline.push_back({{"unix_second", second.unix_second},
                        {"requests", second.requests},
                        {"errors", second.errors},
                        {"throttled", second.throttled},
                        {"bytes", second.bytes},
                        {"p50_ms", milliseconds(latency.percentile(0.50))},
                        {"p99_ms", milliseconds(latency.percentile(0.99))},
                        {"max_ms", milliseconds(latency.max())},
                        {"histogram", histogram_json(second.latency)}});
  }
  json["timeline"] = std::move(timeline);
  json["generator"] = {{"busiest_thread", result.busiest_thread},
                       {"send_lag_ms", latency_json(result.send_lag)},
                       {"send_lag_histogram", histogram_json(StoredHistogram::of(result.send_lag))},
                       {"queued", result.queued},
                       {"max_queue_ms", static_cast<double>(result.max_queue_ns) / 1e6},
                       {"unsent", result.unsent}};
  json["valid"] = result.invalid.empty();
  json["invalid_reasons"] = result.invalid;
  json["warnings"] = result.warnings;
  json["interrupted"] = result.interrupted;
  return json;
}

Result from_json(const nlohmann::json& json, std::string_view source) {
  Reader read(source);
  if (!json.is_object() || !json.contains("format") || json["format"] != k_format) {
    read.refuse("format",
                fmt::format("expected \"{}\" (a file written by golfops load -o json)", k_format));
  }
  // Bounds on what a real run writes: a day's run, a millennium of epoch.
  constexpr double k_most_seconds = 1e9;
  Result result;
  result.total = read.tally(json);
  result.target = read.text(json, "target");
  result.model = read.text(json, "model");
  result.connections =
      static_cast<int>(std::min<std::uint64_t>(read.count(json, "connections"), INT32_MAX));
  result.threads =
      static_cast<int>(std::min<std::uint64_t>(read.count(json, "threads"), INT32_MAX));
  if (!read.at(json, "rate").is_null()) {
    result.rate = read.number(json, "rate", 1e12);
  }
  result.sources =
      static_cast<int>(std::min<std::uint64_t>(read.count(json, "sources"), INT32_MAX));
  result.start_unix_ms = read.whole(json, "start_unix_ms");
  if (result.start_unix_ms > 32503680000000) { // year 3000
    read.refuse("start_unix_ms", fmt::format("{} is not a time golfops ran", result.start_unix_ms));
  }
  result.seconds = read.number(json, "seconds", k_most_seconds);
  const auto& retry_after = read.at(json, "retry_after");
  auto retry = read.within("retry_after");
  result.retry_after.with_header = retry.count(retry_after, "with_header");
  result.retry_after.without_header = retry.count(retry_after, "without_header");
  result.retry_after.min_seconds = retry.whole(retry_after, "min_seconds");
  result.retry_after.max_seconds = retry.whole(retry_after, "max_seconds");
  std::size_t index = 0;
  for (const auto& entry : read.list(json, "by_request")) {
    auto part = read.within(fmt::format("by_request[{}]", index++));
    auto name = part.text(entry, "name");
    result.by_request.emplace_back(name, part.tally(entry));
  }
  index = 0;
  for (const auto& entry : read.list(json, "timeline")) {
    auto part = read.within(fmt::format("timeline[{}]", index++));
    Second second;
    second.unix_second = part.whole(entry, "unix_second");
    second.requests = part.count(entry, "requests");
    second.errors = part.count(entry, "errors");
    second.throttled = part.count(entry, "throttled");
    second.bytes = part.count(entry, "bytes");
    second.latency = StoredHistogram::of(part.histogram(entry, "histogram"));
    result.timeline.push_back(std::move(second));
  }
  const auto& generator = read.at(json, "generator");
  auto generator_part = read.within("generator");
  result.busiest_thread = generator_part.number(generator, "busiest_thread", 1e3);
  result.send_lag = generator_part.histogram(generator, "send_lag_histogram");
  result.queued = generator_part.count(generator, "queued");
  result.max_queue_ns = static_cast<std::int64_t>(
      generator_part.number(generator, "max_queue_ms", k_most_seconds * 1e3) * 1e6);
  result.unsent = generator_part.count(generator, "unsent");
  result.invalid = read.texts(json, "invalid_reasons");
  result.warnings = read.texts(json, "warnings");
  const auto& interrupted = read.at(json, "interrupted");
  if (!interrupted.is_boolean()) {
    read.refuse("interrupted", "not true or false");
  }
  result.interrupted = interrupted.get<bool>();
  return result;
}

} // namespace golfops::core::load
