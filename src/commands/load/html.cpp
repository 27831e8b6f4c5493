#include "commands/load/load.hpp"
#include "core/load/threshold.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fmt/format.h>

namespace golfops::commands::load {
namespace {

using core::load::format_latency;

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;
};

// A round step for about five gridlines up to `top`.
double nice_step(double top) {
  if (top <= 0) {
    return 1;
  }
  double raw = top / 5;
  double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= factor * magnitude) {
      return factor * magnitude;
    }
  }
  return 10 * magnitude;
}

// An inline SVG line chart; `x_label` maps an x value to its tick text.
std::string line_chart(const std::string& title,
                       const std::vector<Series>& series,
                       const std::vector<std::pair<double, std::string>>& x_ticks,
                       const std::string& y_unit) {
  constexpr double width = 860;
  constexpr double height = 280;
  constexpr double left = 70;
  constexpr double right = 20;
  constexpr double top = 30;
  constexpr double bottom = 40;
  double x_min = 0;
  double x_max = 1;
  double y_max = 0;
  bool any = false;
  for (const auto& line : series) {
    for (const auto& [x, y] : line.points) {
      x_min = any ? std::min(x_min, x) : x;
      x_max = any ? std::max(x_max, x) : std::max(x, x_min + 1);
      y_max = std::max(y_max, y);
      any = true;
    }
  }
  if (x_max <= x_min) {
    x_max = x_min + 1;
  }
  double step = nice_step(y_max * 1.05);
  double y_top = std::max(step, std::ceil(y_max * 1.05 / step) * step);
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * (width - left - right); };
  auto py = [&](double y) { return top + (1 - y / y_top) * (height - top - bottom); };
  std::string svg =
      fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
                  "height=\"{1}\" role=\"img\" aria-label=\"{2}\">\n"
                  "<text x=\"{3}\" y=\"18\" class=\"title\">{2}</text>\n",
                  width,
                  height,
                  core::escape_markup(title),
                  left);
  for (double y = 0; y <= y_top + step / 2; y += step) {
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
                       "class=\"grid\"/><text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" "
                       "text-anchor=\"end\">{:g} {}</text>\n",
                       left,
                       py(y),
                       width - right,
                       py(y),
                       left - 6,
                       py(y) + 4,
                       y,
                       y_unit);
  }
  for (const auto& [x, label] : x_ticks) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" "
                       "text-anchor=\"middle\">{}</text>\n",
                       px(x),
                       height - bottom + 16,
                       core::escape_markup(label));
  }
  double legend_x = width - right - 10;
  for (auto line = series.rbegin(); line != series.rend(); ++line) {
    std::string path;
    for (const auto& [x, y] : line->points) {
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", px(x), py(y));
    }
    if (!path.empty()) {
      svg += fmt::format(
          "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"/>\n", path, line->color);
    }
    svg += fmt::format("<text x=\"{:.1f}\" y=\"18\" class=\"legend\" text-anchor=\"end\" "
                       "fill=\"{}\">{}</text>\n",
                       legend_x,
                       line->color,
                       core::escape_markup(line->name));
    legend_x -= 12 + 8 * static_cast<double>(line->name.size());
  }
  svg += "</svg>\n";
  return svg;
}

std::string over_time(const core::load::Result& result) {
  if (result.timeline.empty()) {
    return "<p>No answers, so no latency over time.</p>\n";
  }
  auto first = result.timeline.front().unix_second;
  Series p50{"p50", "#2b6cb0", {}};
  Series p90{"p90", "#38a169", {}};
  Series p99{"p99", "#dd6b20", {}};
  Series max{"max", "#c53030", {}};
  Series throughput{"requests/s", "#2b6cb0", {}};
  Series errors{"errors/s", "#c53030", {}};
  for (const auto& second : result.timeline) {
    auto x = static_cast<double>(second.unix_second - first);
    auto latency = second.latency.restore();
    if (latency.count() > 0) {
      p50.points.emplace_back(x, static_cast<double>(latency.percentile(0.50).count()) / 1e6);
      p90.points.emplace_back(x, static_cast<double>(latency.percentile(0.90).count()) / 1e6);
      p99.points.emplace_back(x, static_cast<double>(latency.percentile(0.99).count()) / 1e6);
      max.points.emplace_back(x, static_cast<double>(latency.max().count()) / 1e6);
    }
    throughput.points.emplace_back(x, static_cast<double>(second.requests));
    errors.points.emplace_back(x, static_cast<double>(second.errors));
  }
  auto last = static_cast<double>(result.timeline.back().unix_second - first);
  std::vector<std::pair<double, std::string>> ticks;
  double step = nice_step(std::max(last, 1.0));
  for (double x = 0; x <= last + step / 2; x += step) {
    ticks.emplace_back(x, fmt::format("{:g}s", x));
  }
  return line_chart("Latency over time (by second answered)", {p50, p90, p99, max}, ticks, "ms") +
         line_chart("Throughput", {throughput, errors}, ticks, "");
}

std::string distribution(const core::load::Result& result) {
  const auto& latency = result.total.latency;
  if (latency.count() == 0) {
    return "";
  }
  // As HdrHistogram plots it: x is log10(1 / (1 - q)), so 90%, 99%,
  // 99.9% are evenly spaced and the tail gets the room it needs.
  Series line{"latency", "#2b6cb0", {}};
  double deepest = std::min(5.0, std::log10(static_cast<double>(latency.count())));
  for (double x = 0; x <= deepest + 1e-9; x += 0.02) {
    double quantile = 1 - std::pow(10, -x);
    line.points.emplace_back(x, static_cast<double>(latency.percentile(quantile).count()) / 1e6);
  }
  std::vector<std::pair<double, std::string>> ticks;
  const std::array<std::pair<double, const char*>, 6> labels{
      {{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}}};
  for (const auto& [x, label] : labels) {
    if (x <= deepest + 1e-9) {
      ticks.emplace_back(x, label);
    }
  }
  return line_chart("Latency by percentile", {line}, ticks, "ms");
}

std::string table_html(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string html = "<table><tr>";
  for (const auto& header : headers) {
    html += "<th>" + core::escape_markup(header) + "</th>";
  }
  html += "</tr>\n";
  for (const auto& row : rows) {
    html += "<tr>";
    for (const auto& cell : row) {
      html += "<td>" + core::escape_markup(cell) + "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</table>\n";
}

std::string when(std::int64_t unix_ms) {
  auto seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

} // namespace

std::string html_report(const LoadReport& report) {
  const auto& result = report.result;
  const auto& latency = result.total.latency;
  auto ns = [](std::chrono::nanoseconds value) {
    return format_latency(static_cast<double>(value.count()));
  };
  std::string body;
  body +=
      fmt::format("<h1>golfops load: {}</h1>\n<p>{} &middot; {} model &middot; {} "
                  "connection(s), {} thread(s){} &middot; {:.2f}s</p>\n",
                  core::escape_markup(result.target),
                  when(result.start_unix_ms),
                  core::escape_markup(result.model),
                  result.connections,
                  result.threads,
                  result.sources > 1 ? fmt::format(" &middot; {} runs merged", result.sources) : "",
                  result.seconds);
  if (!result.invalid.empty() || result.interrupted) {
    body += "<div class=\"warn\">";
    for (const auto& reason : result.invalid) {
      body += "<p><b>Invalid:</b> " + core::escape_markup(reason) + "</p>";
    }
    if (result.interrupted) {
      body += "<p><b>Interrupted:</b> the figures up to Ctrl-C.</p>";
    }
    body += "</div>\n";
  }
  body += table_html(
      {"requests", "rate", "errors", "throttled (429)", "read"},
      {{std::to_string(result.total.requests),
        fmt::format("{:.1f}/s", result.rps()),
        fmt::format("{} ({:.2f}%)", result.total.errors_total(), result.error_rate() * 100),
        fmt::format("{} ({:.2f}%)", result.total.throttled, result.throttled_rate() * 100),
        core::format_size(result.total.bytes)}});
  if (latency.count() > 0) {
    body += table_html({"min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"},
                       {{ns(latency.min()),
                         ns(latency.mean()),
                         ns(latency.percentile(0.5)),
                         ns(latency.percentile(0.9)),
                         ns(latency.percentile(0.95)),
                         ns(latency.percentile(0.99)),
                         ns(latency.percentile(0.999)),
                         ns(latency.max())}});
  }
  if (!report.verdicts.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [threshold, verdict] : report.verdicts) {
      rows.push_back({threshold.text, verdict.shown, verdict.passed ? "pass" : "FAIL"});
    }
    body += "<h2>Thresholds</h2>\n" + table_html({"threshold", "observed", "result"}, rows);
  }
  body += "<h2>Latency</h2>\n" + over_time(result) + distribution(result);
  std::vector<std::vector<std::string>> outcomes;
  for (const auto& [status, count] : result.total.statuses) {
    outcomes.push_back({fmt::format("HTTP {}", status), std::to_string(count)});
  }
  for (std::size_t kind = 0; kind < core::load::k_error_kinds; ++kind) {
    auto error_kind = static_cast<core::load::ErrorKind>(kind);
    if (result.total.errors[kind] > 0 && error_kind != core::load::ErrorKind::status) {
      outcomes.push_back({fmt::format("{} error", core::load::to_string(error_kind)),
                          std::to_string(result.total.errors[kind])});
    }
  }
  body += "<h2>Outcomes</h2>\n" + table_html({"outcome", "count"}, outcomes);
  if (!result.by_request.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, tally] : result.by_request) {
      rows.push_back({name,
                      std::to_string(tally.requests),
                      std::to_string(tally.errors_total()),
                      ns(tally.latency.percentile(0.5)),
                      ns(tally.latency.percentile(0.99))});
    }
    body +=
        "<h2>Requests</h2>\n" + table_html({"request", "requests", "errors", "p50", "p99"}, rows);
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>golfops load: {}</title>\n<style>\n"
      "body{{font-family:system-ui,sans-serif;margin:2em;color:#1a202c;max-width:920px}}\n"
      "table{{border-collapse:collapse;margin:1em 0}}\n"
      "th,td{{border:1px solid #cbd5e0;padding:4px 10px;text-align:right}}\n"
      "th{{background:#edf2f7}}\n"
      ".warn{{background:#fffaf0;border:1px solid #dd6b20;padding:0 1em}}\n"
      "svg{{display:block;margin:1em 0}}\n"
      ".grid{{stroke:#e2e8f0}} .tick{{font-size:11px;fill:#4a5568}}\n"
      ".title{{font-size:14px;font-weight:600}} .legend{{font-size:12px}}\n"
      "</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      core::escape_markup(result.target),
      body);
}

} // namespace golfops::commands::load
