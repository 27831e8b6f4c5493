#include "commands/backup/retention.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <functional>

namespace golfops::commands::backup {
namespace {

std::tm utc(std::time_t time) {
  std::tm parts{};
  gmtime_r(&time, &parts);
  return parts;
}

std::string day_of(std::time_t time) {
  auto parts = utc(time);
  return fmt::format("{:04}-{:02}-{:02}", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday);
}

std::string week_of(std::time_t time) {
  auto parts = utc(time);
  char text[16];
  std::strftime(text, sizeof text, "%G-W%V", &parts); // ISO 8601 week
  return text;
}

std::string month_of(std::time_t time) {
  auto parts = utc(time);
  return fmt::format("{:04}-{:02}", parts.tm_year + 1900, parts.tm_mon + 1);
}

} // namespace

std::vector<RetentionDecision> apply_retention(std::vector<RetentionCandidate> candidates,
                                               const RetentionPolicy& policy) {
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.created > b.created;
  });
  std::vector<RetentionDecision> decisions;
  for (const auto& candidate : candidates) {
    decisions.push_back({candidate.id, policy.empty(), {}});
  }
  for (std::size_t index = 0; index < candidates.size() && static_cast<int>(index) < policy.last;
       ++index) {
    decisions[index].keep = true;
    decisions[index].reasons.push_back(fmt::format("last {}", index + 1));
  }
  // Newest first, so the first backup seen in a period is the one kept.
  auto by_period =
      [&](int count, std::string_view rule, const std::function<std::string(std::time_t)>& period) {
        std::string previous;
        int kept = 0;
        for (std::size_t index = 0; index < candidates.size() && kept < count; ++index) {
          auto current = period(candidates[index].created);
          if (current == previous) {
            continue;
          }
          previous = current;
          ++kept;
          decisions[index].keep = true;
          decisions[index].reasons.push_back(fmt::format("{} {}", rule, current));
        }
      };
  by_period(policy.daily, "daily", day_of);
  by_period(policy.weekly, "weekly", week_of);
  by_period(policy.monthly, "monthly", month_of);
  for (std::size_t index = 0; index < candidates.size(); ++index) {
    if (candidates[index].verified) {
      decisions[index].keep = true;
      decisions[index].reasons.push_back("newest verified");
      break;
    }
  }
  return decisions;
}

} // namespace golfops::commands::backup
