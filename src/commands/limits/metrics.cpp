#include "commands/limits/limits.hpp"
#include "core/output/textfile.hpp"

#include <fmt/format.h>

namespace golfops::commands::limits {

std::string stats_metrics_text(const StatsResult& result) {
  std::string text;
  auto family = [&](std::string_view name, std::string_view help, auto value_of) {
    text += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n", name, help);
    for (const auto& rule : result.rules) {
      text += fmt::format("{}{{rule=\"{}\",shadow=\"{}\"}} {}\n",
                          name,
                          core::output::label_value(rule.rule),
                          rule.shadow ? "true" : "false",
                          value_of(rule));
    }
  };
  family("golfops_ratelimit_checks",
         "Checks the limiter scripts counted for the rule in the window.",
         [](const RuleStats& rule) { return rule.checks; });
  family("golfops_ratelimit_over",
         "Checks over the rule's limit in the window (denied; a shadow rule would have).",
         [](const RuleStats& rule) { return rule.over; });
  family("golfops_ratelimit_buckets",
         "Buckets (clients) of the rule counted in the window.",
         [](const RuleStats& rule) { return rule.buckets; });
  text +=
      fmt::format("# HELP golfops_ratelimit_window_seconds How far back the counts go (--since; "
                  "counters are kept per hour, so the oldest hour counts whole).\n"
                  "# TYPE golfops_ratelimit_window_seconds gauge\n"
                  "golfops_ratelimit_window_seconds {}\n",
                  result.since.count() / 1000);
  text += core::output::ok_metric(k_stats_error_metric, k_stats_error_help);
  return text;
}

} // namespace golfops::commands::limits
