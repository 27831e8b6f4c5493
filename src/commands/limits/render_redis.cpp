#include "commands/limits/limits.hpp"
#include "core/units.hpp"

#include <ctime>
#include <fmt/format.h>

namespace golfops::commands::limits {
namespace {

using Tone = core::output::Table::Tone;

nlohmann::json decision_json(const Decision& decision) {
  return {{"allowed", decision.allowed},
          {"limit", decision.limit},
          {"remaining", decision.remaining},
          {"reset_ms", decision.reset_ms},
          {"retry_after_ms", decision.retry_after_ms},
          {"exceeded", decision.exceeded},
          {"now_ms", decision.now_ms}};
}

nlohmann::json revision_json(const Revision& revision) {
  return {{"revision", revision.number},
          {"published_at", revision.published_at},
          {"published_by", revision.published_by},
          {"checksum", revision.checksum},
          {"note", revision.note},
          {"rules", revision.rules.size()}};
}

std::string milliseconds(std::chrono::nanoseconds value) {
  return fmt::format("{:.3f}", static_cast<double>(value.count()) / 1e6);
}

std::string utc(std::int64_t at_ms) {
  auto seconds = static_cast<std::time_t>(at_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string bucket_state(const Decision& decision) {
  return fmt::format("{}/{} used", decision.limit - decision.remaining, decision.limit);
}

} // namespace

void add_published(core::output::Report& report, const std::optional<PublishResult>& published) {
  if (!published) {
    return;
  }
  report.json["published"] = revision_json(published->revision);
  report.json["published"]["changed"] = published->changed;
  report.notes.push_back(published->changed
                             ? fmt::format("published revision {} to Redis ({} enabled rule(s))",
                                           published->revision.number,
                                           published->revision.rules.size())
                             : fmt::format("Redis already holds these rules (revision {})",
                                           published->revision.number));
}

core::output::Report render(const PublishResult& result) {
  core::output::Report report;
  report.json = revision_json(result.revision);
  report.json["changed"] = result.changed;
  report.json["receivers"] = result.receivers;
  report.json["channel"] = result.channel;
  if (result.receivers < 0) {
    report.notes.push_back(fmt::format("warning: the change message was not sent ({}); services "
                                       "that poll {}:meta still see the new revision",
                                       result.announce_error,
                                       rules_key("")));
  }
  if (!result.changed) {
    report.notes.push_back(fmt::format("Redis already holds these {} rule(s): revision {} "
                                       "(published {} by {}); nothing to publish",
                                       result.revision.rules.size(),
                                       result.revision.number,
                                       result.revision.published_at,
                                       result.revision.published_by));
    return report;
  }
  report.notes.push_back(
      fmt::format("published revision {}{}: {} enabled rule(s), announced on {} "
                  "to {} subscriber(s)",
                  result.revision.number,
                  result.revision.note.empty() ? "" : " (" + result.revision.note + ")",
                  result.revision.rules.size(),
                  result.channel,
                  result.receivers));
  return report;
}

core::output::Report render(const RevisionsResult& result) {
  core::output::Report report;
  report.json = {{"current", result.current}, {"revisions", nlohmann::json::array()}};
  core::output::Table table({"revision", "published at", "by", "rules", "note", "state"});
  table.align_right(0);
  table.align_right(3);
  for (const auto& revision : result.revisions) {
    report.json["revisions"].push_back(revision_json(revision));
    bool current = revision.number == result.current;
    table.add_row({{std::to_string(revision.number)},
                   {revision.published_at},
                   {revision.published_by},
                   {std::to_string(revision.rules.size())},
                   {revision.note},
                   {current ? "in Redis" : "", current ? Tone::good : Tone::plain}});
  }
  if (result.revisions.empty()) {
    report.notes.push_back("nothing published yet (golfops limits publish)");
  } else {
    report.tables.push_back(std::move(table));
  }
  return report;
}

core::output::Report render(const DriftResult& result) {
  core::output::Report report;
  report.json = {
      {"revision", result.revision}, {"drift", result.any()}, {"changes", nlohmann::json::array()}};
  core::output::Table table({"", "rule", "Redis -> PostgreSQL"});
  for (const auto& change : result.changes) {
    auto kind = change.kind == Change::Kind::add      ? "only_in_postgres"
                : change.kind == Change::Kind::remove ? "only_in_redis"
                                                      : "different";
    report.json["changes"].push_back(
        {{"kind", kind},
         {"name", change.name},
         {"fields", change.fields},
         {"postgres", change.after ? definition_json(*change.after) : nlohmann::json(nullptr)},
         {"redis", change.before ? definition_json(*change.before) : nlohmann::json(nullptr)}});
    auto what =
        change.kind == Change::Kind::add      ? std::string("enabled in PostgreSQL, not in Redis")
        : change.kind == Change::Kind::remove ? std::string("in Redis, not enabled in PostgreSQL")
                                              : fmt::format("{}", fmt::join(change.fields, ", "));
    table.add_row({{change.kind == Change::Kind::add      ? "+"
                    : change.kind == Change::Kind::remove ? "-"
                                                          : "~",
                    Tone::warn},
                   {change.name},
                   {what}});
  }
  if (result.any()) {
    report.tables.push_back(std::move(table));
    report.notes.push_back(fmt::format("drift: Redis{} differs from PostgreSQL in {} rule(s); "
                                       "golfops limits publish makes them agree",
                                       result.revision == 0
                                           ? " (nothing published)"
                                           : fmt::format(" (revision {})", result.revision),
                                       result.changes.size()));
  } else {
    report.notes.push_back(fmt::format(
        "no drift: Redis (revision {}) holds PostgreSQL's enabled rules", result.revision));
  }
  return report;
}

core::output::Report render(const CheckResult& result) {
  core::output::Report report;
  report.json = {{"counted", result.counted},
                 {"allowed", result.allowed},
                 {"retry_after_ms", result.retry_after_ms},
                 {"revision", result.revision},
                 {"request",
                  {{"resource", result.request.resource},
                   {"ip", result.request.ip},
                   {"user", result.request.user},
                   {"api_key", display_value("api_key", result.request.api_key)}}},
                 {"decided_by", nullptr},
                 {"rules", nlohmann::json::array()},
                 {"headers", nlohmann::json::object()}};
  if (result.decider) {
    report.json["decided_by"] = result.rules[*result.decider].rule.name;
  }
  core::output::Table table({"rule", "rate", "algorithm", "bucket", "state", "reset", "verdict"});
  for (std::size_t index = 0; index < result.rules.size(); ++index) {
    const auto& check = result.rules[index];
    auto scope = std::string(scope_name(check.rule.scope));
    nlohmann::json item = {{"name", check.rule.name},
                           {"applies", check.match.applies},
                           {"reason", check.match.reason},
                           {"shadow", check.rule.shadow},
                           {"priority", check.rule.priority},
                           {"bucket", nullptr},
                           {"decision", nullptr}};
    bool decides = result.decider == index;
    if (!check.decision) {
      report.json["rules"].push_back(item);
      table.add_row({{check.rule.name, Tone::dim},
                     {format_rate(check.rule.rate), Tone::dim},
                     {std::string(algorithm_name(check.rule.algorithm)), Tone::dim},
                     {"", Tone::dim},
                     {"", Tone::dim},
                     {"", Tone::dim},
                     {"does not apply: " + check.match.reason, Tone::dim}});
      continue;
    }
    const auto& decision = *check.decision;
    item["bucket"] = {{"scope", scope}, {"value", display_value(scope, check.match.value)}};
    item["decision"] = decision_json(decision);
    report.json["rules"].push_back(item);
    auto verdict = check.rule.shadow
                       ? (decision.exceeded ? "over (shadow: allowed)" : "under (shadow)")
                   : !decision.allowed ? "denies"
                   : decision.exceeded ? "over"
                                       : "allows";
    table.add_row({{check.rule.name},
                   {format_rate(check.rule.rate)},
                   {std::string(algorithm_name(check.rule.algorithm))},
                   {check.rule.scope == Scope::global
                        ? std::string("everyone")
                        : scope + " " + display_value(scope, check.match.value)},
                   {bucket_state(decision)},
                   {core::format_duration(std::chrono::milliseconds(decision.reset_ms))},
                   {std::string(verdict) + (decides ? " (decides)" : ""),
                    !decision.allowed   ? Tone::bad
                    : decision.exceeded ? Tone::warn
                                        : Tone::good}});
  }
  for (const auto& [name, value] : result.headers) {
    report.json["headers"][name] = value;
  }
  report.tables.push_back(std::move(table));
  if (!result.headers.empty()) {
    core::output::Table headers({"header", "value"});
    for (const auto& [name, value] : result.headers) {
      headers.add_row({{name}, {value}});
    }
    report.tables.push_back(std::move(headers));
  }
  std::string verdict;
  if (!result.decider) {
    verdict = "allowed: no enforced rule applies";
  } else {
    const auto& check = result.rules[*result.decider];
    verdict =
        result.allowed
            ? fmt::format("allowed: {} left under '{}'", check.decision->remaining, check.rule.name)
        : result.retry_after_ms < 0
            ? fmt::format("denied by '{}': a cost over its limit never passes", check.rule.name)
            : fmt::format("denied by '{}': retry after {}",
                          check.rule.name,
                          core::format_duration(std::chrono::milliseconds(result.retry_after_ms)));
  }
  report.notes.push_back(fmt::format(
      "{}{} (revision {})", result.counted ? "" : "would be ", verdict, result.revision));
  if (!result.counted) {
    report.notes.push_back("explain only looks: no bucket was counted");
  }
  return report;
}

core::output::Report render(const UsageResult& result) {
  core::output::Report report;
  report.json = {{"buckets", nlohmann::json::array()},
                 {"scanned_keys", result.scanned},
                 {"unpublished_buckets", result.unpublished},
                 {"masters", result.masters}};
  core::output::Table table({"rule", "bucket", "used", "limit", "remaining", "reset"});
  for (auto column : {2, 3, 4, 5}) {
    table.align_right(static_cast<std::size_t>(column));
  }
  for (const auto& bucket : result.buckets) {
    report.json["buckets"].push_back({{"rule", bucket.rule},
                                      {"scope", bucket.scope},
                                      {"value", bucket.value},
                                      {"used", bucket.decision.limit - bucket.decision.remaining},
                                      {"decision", decision_json(bucket.decision)}});
    table.add_row(
        {{bucket.rule},
         {bucket.scope == "global" ? std::string("everyone") : bucket.scope + " " + bucket.value},
         {std::to_string(bucket.decision.limit - bucket.decision.remaining),
          bucket.decision.remaining == 0 ? Tone::bad : Tone::plain},
         {std::to_string(bucket.decision.limit)},
         {std::to_string(bucket.decision.remaining)},
         {core::format_duration(std::chrono::milliseconds(bucket.decision.reset_ms))}});
  }
  if (result.buckets.empty()) {
    report.notes.push_back("no live buckets");
  } else {
    report.tables.push_back(std::move(table));
  }
  report.notes.push_back(
      fmt::format("scanned {} key(s) on {} master(s){}",
                  result.scanned,
                  result.masters,
                  result.unpublished == 0
                      ? ""
                      : fmt::format("; {} bucket(s) of rules not published", result.unpublished)));
  return report;
}

core::output::Report render(const ResetResult& result) {
  core::output::Report report;
  report.json = {{"rule", result.rule},
                 {"value", result.value},
                 {"all", result.all},
                 {"deleted", result.deleted}};
  report.notes.push_back(
      result.all ? fmt::format("reset rule '{}': {} bucket(s) cleared", result.rule, result.deleted)
      : result.deleted == 0 ? fmt::format("rule '{}' had no live bucket for {}: nothing to clear",
                                          result.rule,
                                          result.value.empty() ? "everyone" : result.value)
                            : fmt::format("reset rule '{}' for {}: the bucket is full again",
                                          result.rule,
                                          result.value.empty() ? "everyone" : result.value));
  return report;
}

core::output::Report render(const ViolationsResult& result) {
  core::output::Report report;
  report.json = {{"since_ms", result.since.count()}, {"violations", nlohmann::json::array()}};
  core::output::Table table({"at", "rule", "bucket", "used", "limit", "verdict"});
  table.align_right(3);
  table.align_right(4);
  for (const auto& violation : result.violations) {
    report.json["violations"].push_back({{"at", utc(violation.at_ms)},
                                         {"at_ms", violation.at_ms},
                                         {"rule", violation.rule},
                                         {"scope", violation.scope},
                                         {"value", violation.value},
                                         {"limit", violation.limit},
                                         {"used", violation.used},
                                         {"shadow", violation.shadow}});
    table.add_row({{utc(violation.at_ms)},
                   {violation.rule},
                   {violation.scope == "global" ? std::string("everyone")
                                                : violation.scope + " " + violation.value},
                   {std::to_string(violation.used)},
                   {std::to_string(violation.limit)},
                   {violation.shadow ? "shadow: allowed" : "denied",
                    violation.shadow ? Tone::warn : Tone::bad}});
  }
  if (result.violations.empty()) {
    report.notes.push_back(
        fmt::format("no violations in the last {}", core::format_duration(result.since)));
  } else {
    report.tables.push_back(std::move(table));
  }
  return report;
}

core::output::Report render(const StatsResult& result) {
  core::output::Report report;
  report.json = {{"since_ms", result.since.count()}, {"rules", nlohmann::json::array()}};
  core::output::Table table({"rule", "checks", "over limit", "share", "buckets", "mode"});
  for (auto column : {1, 2, 3, 4}) {
    table.align_right(static_cast<std::size_t>(column));
  }
  for (const auto& stats : result.rules) {
    report.json["rules"].push_back({{"rule", stats.rule},
                                    {"checks", stats.checks},
                                    {"over", stats.over},
                                    {"buckets", stats.buckets},
                                    {"shadow", stats.shadow}});
    table.add_row({{stats.rule},
                   {std::to_string(stats.checks)},
                   {std::to_string(stats.over), stats.over > 0 ? Tone::warn : Tone::plain},
                   {fmt::format("{:.1f}%",
                                100.0 * static_cast<double>(stats.over) /
                                    static_cast<double>(std::max<std::int64_t>(stats.checks, 1)))},
                   {std::to_string(stats.buckets)},
                   {stats.shadow ? "shadow" : ""}});
  }
  if (result.rules.empty()) {
    report.notes.push_back(
        fmt::format("no checks recorded in the last {}", core::format_duration(result.since)));
  } else {
    report.tables.push_back(std::move(table));
    report.notes.push_back(
        fmt::format("counted by the hour: the last {} and the rest of the hour it "
                    "starts in",
                    core::format_duration(result.since)));
  }
  return report;
}

core::output::Report render(const ScriptResult& result) {
  core::output::Report report;
  report.json = {{"scripts", nlohmann::json::array()}};
  core::output::Table table({"algorithm", "sha1", "file"});
  for (const auto& [algorithm, sha1] : result.sha1s) {
    auto file = fmt::format("limits/scripts/{}.lua", algorithm_name(algorithm));
    report.json["scripts"].push_back(
        {{"algorithm", algorithm_name(algorithm)}, {"sha1", sha1}, {"file", file}});
    table.add_row({{std::string(algorithm_name(algorithm))}, {sha1}, {file}});
  }
  if (result.algorithm) {
    report.json["algorithm"] = algorithm_name(*result.algorithm);
    report.json["source"] = result.text;
    report.text = result.text;
  } else {
    report.tables.push_back(std::move(table));
    report.notes.push_back(
        "golfops limits script --algorithm NAME prints one; services load it with "
        "SCRIPT LOAD and call EVALSHA (docs/limits.md)");
  }
  return report;
}

core::output::Report render(const BenchResult& result) {
  core::output::Report report;
  auto throughput = result.seconds > 0 ? static_cast<double>(result.checks) / result.seconds : 0.0;
  report.json = {{"algorithm", algorithm_name(result.algorithm)},
                 {"rate", format_rate(result.rate)},
                 {"concurrency", result.concurrency},
                 {"buckets", result.buckets},
                 {"checks", result.checks},
                 {"allowed", result.allowed},
                 {"denied", result.denied},
                 {"redirections", result.redirections},
                 {"cluster", result.cluster},
                 {"seconds", result.seconds},
                 {"checks_per_second", throughput},
                 {"latency_ms",
                  {{"p50", result.p50.count() / 1e6},
                   {"p90", result.p90.count() / 1e6},
                   {"p99", result.p99.count() / 1e6},
                   {"p999", result.p999.count() / 1e6},
                   {"max", result.max.count() / 1e6},
                   {"mean", result.mean.count() / 1e6}}}};
  core::output::Table table({"checks/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"});
  for (std::size_t column = 0; column < 6; ++column) {
    table.align_right(column);
  }
  table.add_row({{fmt::format("{:.0f}", throughput)},
                 {milliseconds(result.p50)},
                 {milliseconds(result.p90)},
                 {milliseconds(result.p99)},
                 {milliseconds(result.p999)},
                 {milliseconds(result.max)}});
  report.tables.push_back(std::move(table));
  report.notes.push_back(fmt::format(
      "{} checks ({} allowed, {} denied) of {} {} on {} bucket(s) "
      "from {} connection(s) in {:.2f}s{}{}",
      result.checks,
      result.allowed,
      result.denied,
      algorithm_name(result.algorithm),
      format_rate(result.rate),
      result.buckets,
      result.concurrency,
      result.seconds,
      result.cluster ? ", Redis Cluster" : "",
      result.redirections == 0 ? ""
                               : fmt::format(", {} redirection(s) followed", result.redirections)));
  return report;
}

} // namespace golfops::commands::limits
