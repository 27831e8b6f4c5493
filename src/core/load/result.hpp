#pragma once

#include "core/histogram.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::load {

// Why a request got no acceptable answer. The transport kinds (all but
// status) have no status code; `status` is an answer the request did not
// expect (a 500 where 200 was expected).
enum class ErrorKind { connect, tls, timeout, read, status };
inline constexpr std::size_t k_error_kinds = 5;
std::string_view to_string(ErrorKind kind);

// What a set of requests (all of a run's, or one scenario request's) got.
// requests == sum(statuses) + transport errors, always.
struct Tally {
  std::uint64_t requests = 0;
  std::uint64_t bytes = 0;     // read from the server, headers included
  std::uint64_t throttled = 0; // 429 answers: counted apart from errors
  std::map<int, std::uint64_t> statuses;
  std::array<std::uint64_t, k_error_kinds> errors{};
  Histogram latency; // of every request that got an answer, unexpected ones too

  std::uint64_t errors_total() const;
  std::uint64_t transport_errors() const;
  void merge(const Tally& other);
};

// A histogram as a result file stores it: the buckets that hold values.
struct StoredHistogram {
  std::vector<Histogram::Bucket> buckets;
  std::uint64_t sum = 0;
  std::uint64_t min = 0;
  std::uint64_t max = 0;

  static StoredHistogram of(const Histogram& histogram);
  Histogram restore() const;
};

// One wall-clock second of a run, by when requests completed; keyed by Unix
// time so runs on several machines line up when merged.
struct Second {
  std::int64_t unix_second = 0;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t throttled = 0;
  std::uint64_t bytes = 0;
  StoredHistogram latency;
};

// Retry-After on the 429 answers, in seconds.
struct RetryAfter {
  std::uint64_t with_header = 0;
  std::uint64_t without_header = 0;
  std::int64_t min_seconds = 0;
  std::int64_t max_seconds = 0;
  void add(std::optional<std::int64_t> seconds);
  void merge(const RetryAfter& other);
};

// What a run measured, complete enough to merge with another run's.
struct Result {
  // What was run.
  std::string target; // the URL, or the scenario's base
  std::string model;  // "closed" or "open"
  int connections = 0;
  int threads = 0;
  std::optional<double> rate; // open model: the highest scheduled rate, per second
  int sources = 1;            // runs merged into this one

  std::int64_t start_unix_ms = 0;
  double seconds = 0; // from the first request to the last answer

  Tally total;
  std::vector<std::pair<std::string, Tally>> by_request; // scenario requests, in file order
  RetryAfter retry_after;
  std::vector<Second> timeline;

  // How the generator itself kept up.
  Histogram send_lag;                // open model: due time to sent, on a free connection
  std::uint64_t queued = 0;          // open model: due while every connection was busy
  std::int64_t max_queue_ns = 0;     // the longest such wait
  std::uint64_t unsent = 0;          // due before the end but never sent
  double busiest_thread = 0;         // CPU time / wall time of the busiest thread, 0..1
  std::vector<std::string> invalid;  // why the figures may be golfops', not the server's
  std::vector<std::string> warnings; // what to keep in mind, short of that
  bool interrupted = false;

  double rps() const;
  double error_rate() const;     // errors / requests
  double throttled_rate() const; // 429s / requests
};

// Adds the seconds of `other` to `into`, second by second (both in order).
void merge_timelines(std::vector<Second>& into, const std::vector<Second>& other);

// Adds `other` to `into`: counts add, histograms merge bucket by bucket,
// timelines add second by second, and the span covers both runs.
void merge(Result& into, const Result& other);

// The result file (-o json): every figure, and the histograms in full.
nlohmann::json to_json(const Result& result);
// Reads a result file; throws Error(usage) naming `source` and the field
// when it is not one golfops wrote.
Result from_json(const nlohmann::json& json, std::string_view source);

} // namespace golfops::core::load
