#include "commands/verify/verify.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <set>

namespace golfops::commands::verify {
namespace {

// Prometheus' text exposition format, version 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/
bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool name_char(char c) {
  return name_start(c) || std::isdigit(static_cast<unsigned char>(c));
}

// Reads a metric or label name at `at`; empty when there is none.
std::string_view read_name(std::string_view line, std::size_t& at, bool label) {
  auto start = at;
  if (at < line.size() && name_start(line[at]) && !(label && line[at] == ':')) {
    ++at;
    while (at < line.size() && name_char(line[at]) && !(label && line[at] == ':')) {
      ++at;
    }
  }
  return line.substr(start, at - start);
}

bool blank(char c) {
  return c == ' ' || c == '\t';
}

void skip_blanks(std::string_view line, std::size_t& at) {
  while (at < line.size() && blank(line[at])) {
    ++at;
  }
}

bool is_value(std::string_view text) {
  if (text == "+Inf" || text == "-Inf" || text == "Inf" || text == "NaN") {
    return true;
  }
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

// The sample's labels, `{a="1",b="x\"y"}`: the problem, or empty.
std::string read_labels(std::string_view line, std::size_t& at) {
  ++at; // {
  while (true) {
    skip_blanks(line, at);
    if (at < line.size() && line[at] == '}') {
      ++at;
      return {};
    }
    auto name = read_name(line, at, true);
    if (name.empty()) {
      return "expected a label name";
    }
    skip_blanks(line, at);
    if (at >= line.size() || line[at] != '=') {
      return fmt::format("expected = after label '{}'", name);
    }
    ++at;
    skip_blanks(line, at);
    if (at >= line.size() || line[at] != '"') {
      return fmt::format("expected a quoted value for label '{}'", name);
    }
    ++at;
    bool closed = false;
    while (at < line.size()) {
      if (line[at] == '\\') {
        if (at + 1 >= line.size() ||
            (line[at + 1] != '\\' && line[at + 1] != '"' && line[at + 1] != 'n')) {
          return fmt::format("invalid escape in label '{}'", name);
        }
        at += 2;
        continue;
      }
      if (line[at] == '"') {
        closed = true;
        ++at;
        break;
      }
      ++at;
    }
    if (!closed) {
      return fmt::format("unterminated value of label '{}'", name);
    }
    skip_blanks(line, at);
    if (at < line.size() && line[at] == ',') {
      ++at;
      continue;
    }
    if (at < line.size() && line[at] == '}') {
      ++at;
      return {};
    }
    return "expected , or } after a label";
  }
}

// The family a sample belongs to: x_bucket, x_sum, x_count are x's.
std::string family_of(std::string_view name) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count", "_total", "_created"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      return std::string(name.substr(0, name.size() - suffix.size()));
    }
  }
  return std::string(name);
}

} // namespace

std::string prometheus_problem(std::string_view text, const std::vector<std::string>& required) {
  constexpr std::array<std::string_view, 5> k_types{
      "counter", "gauge", "histogram", "summary", "untyped"};
  std::set<std::string, std::less<>> names;    // every sample's name
  std::set<std::string, std::less<>> families; // sample families and declared ones
  std::set<std::string, std::less<>> typed;
  std::size_t samples = 0;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    auto line =
        text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    ++number;
    // CRLF line ends and trailing blanks are allowed.
    while (!line.empty() && (blank(line.back()) || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    auto at_line = [&](std::string_view problem) {
      return fmt::format("line {}: {}: '{}'", number, problem, line.substr(0, 80));
    };
    if (line.empty()) {
      continue;
    }
    if (line.front() == '#') {
      auto rest = line.substr(1);
      while (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
      }
      bool help = rest.starts_with("HELP ");
      bool type = rest.starts_with("TYPE ");
      if (!help && !type) {
        continue; // a comment
      }
      rest.remove_prefix(5);
      std::size_t at = 0;
      auto name = read_name(rest, at, false);
      if (name.empty() || (at < rest.size() && rest[at] != ' ')) {
        return at_line(fmt::format("{} names no valid metric", help ? "HELP" : "TYPE"));
      }
      families.emplace(name);
      if (type) {
        auto kind = at < rest.size() ? rest.substr(at + 1) : std::string_view();
        if (std::find(k_types.begin(), k_types.end(), kind) == k_types.end()) {
          return at_line(
              fmt::format("unknown type '{}' (expected counter, gauge, histogram, summary or "
                          "untyped)",
                          kind));
        }
        if (!typed.emplace(name).second) {
          return at_line(fmt::format("second TYPE line for {}", name));
        }
        if (names.contains(name) || names.contains(std::string(name) + "_bucket") ||
            names.contains(std::string(name) + "_total")) {
          return at_line(fmt::format("TYPE for {} after its samples", name));
        }
      }
      continue;
    }
    std::size_t at = 0;
    auto name = read_name(line, at, false);
    if (name.empty()) {
      return at_line("expected a metric name");
    }
    auto after_name = at;
    skip_blanks(line, at);
    if (at < line.size() && line[at] == '{') {
      if (auto problem = read_labels(line, at); !problem.empty()) {
        return at_line(problem);
      }
    } else {
      at = after_name; // the blanks before the value
    }
    if (at >= line.size() || !blank(line[at])) {
      return at_line("expected a space and a value");
    }
    skip_blanks(line, at);
    auto rest = line.substr(at);
    auto space = rest.find_first_of(" \t");
    auto value = rest.substr(0, space);
    if (!is_value(value)) {
      return at_line(fmt::format("'{}' is not a number", value));
    }
    if (space != std::string_view::npos) {
      std::size_t from = space;
      skip_blanks(rest, from);
      auto timestamp = rest.substr(from);
      std::int64_t milliseconds = 0;
      auto [ptr, error] =
          std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), milliseconds);
      if (error != std::errc() || ptr != timestamp.data() + timestamp.size()) {
        return at_line(fmt::format("'{}' is not a timestamp in milliseconds", timestamp));
      }
    }
    names.emplace(name);
    families.insert(family_of(name));
    ++samples;
  }
  if (samples == 0) {
    return "no samples (expected Prometheus text: 'name{label=\"v\"} 1')";
  }
  for (const auto& metric : required) {
    if (!names.contains(metric) && !families.contains(metric)) {
      return fmt::format(
          "metric {} missing ({} samples of {} other metrics)", metric, samples, names.size());
    }
  }
  return {};
}

} // namespace golfops::commands::verify
