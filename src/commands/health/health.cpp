#include "commands/health/health.hpp"

#include "core/error.hpp"
#include "core/pg/client.hpp"
#include "core/redact.hpp"
#include "core/redis/client.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <functional>
#include <future>

namespace golfops::commands::health {
namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Maps a connection failure's text to the fixed reason list.
std::string connect_reason(const std::string& message) {
  auto has = [&](std::string_view text) { return message.find(text) != std::string::npos; };
  if (has("translate host name") || has("resolve") || has("Name or service not known")) {
    return "dns";
  }
  if (has("timeout expired") || has("timed out")) {
    return "timeout";
  }
  if (has("SSL") || has("TLS") || has("certificate")) {
    return "tls";
  }
  return "connect";
}

// Runs `probe` against `check`, timing it and mapping a failure to the fixed
// reason list.
CheckResult timed(CheckResult check, const std::function<void(CheckResult&)>& probe) {
  auto start = Clock::now();
  try {
    probe(check);
  } catch (const core::Error& error) {
    check.ok = false;
    check.reason =
        error.code() == core::ExitCode::unreachable ? connect_reason(error.what()) : "query";
    check.message = error.what();
  }
  check.latency_ms = milliseconds_since(start);
  return check;
}

CheckResult probe_postgres(const core::pg::Settings& settings) {
  return timed({"postgres", "postgres", settings.target()}, [&](CheckResult& check) {
    core::pg::Client client(settings);
    auto value = client.execute("SELECT 1").text(0, 0);
    check.ok = value == "1";
    check.reason = check.ok ? "" : "query";
    check.message = check.ok ? "PostgreSQL " + client.server_version()
                             : fmt::format("SELECT 1 returned {}", value);
  });
}

CheckResult probe_redis(const core::redis::Settings& settings) {
  return timed({"redis", "redis", settings.endpoint.to_display()}, [&](CheckResult& check) {
    core::redis::Client client(settings);
    auto replies = client.pipeline({{"PING"}, {"INFO", "server"}});
    check.ok = !replies[0].is_error() && replies[0].text == "PONG";
    if (!check.ok) {
      check.reason = "query";
      check.message = fmt::format("PING: expected PONG, got '{}'", replies[0].text);
      return;
    }
    const auto& info = replies[1].text;
    auto at = info.find("redis_version:");
    check.message = at == std::string::npos
                        ? "PONG"
                        : "Redis " + info.substr(at + 14, info.find('\r', at) - at - 14);
  });
}

// The database is configured when a URL is set or libpq's own variables are.
bool database_configured(const core::config::Config& config) {
  if (config.is_set("database.url")) {
    return true;
  }
  for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"}) {
    if (config.environment().contains(name)) {
      return true;
    }
  }
  return false;
}

} // namespace

HealthResult run_health(const HealthOptions& options, core::Context& context) {
  const auto& config = context.config;
  std::vector<std::function<CheckResult()>> probes;
  if (database_configured(config)) {
    auto settings = core::pg::settings_from(config);
    if (options.timeout) {
      settings.connect_timeout = std::min(settings.connect_timeout, *options.timeout);
      settings.statement_timeout = *options.timeout;
    }
    probes.emplace_back([settings] { return probe_postgres(settings); });
  }
  if (config.is_set("redis.url")) {
    auto settings = core::redis::settings_from(config);
    if (options.timeout) {
      settings.connect_timeout = std::min(settings.connect_timeout, *options.timeout);
      settings.command_timeout = std::min(settings.command_timeout, *options.timeout);
    }
    probes.emplace_back([settings] { return probe_redis(settings); });
  }
  if (probes.empty()) {
    core::throw_usage("health: nothing to check: set database.url (or DATABASE_URL / PG* "
                      "variables) or redis.url (or REDIS_URL)");
  }
  auto start = Clock::now();
  std::vector<std::future<CheckResult>> running;
  for (auto& probe : probes) {
    running.push_back(std::async(std::launch::async, probe));
  }
  HealthResult result;
  for (auto& future : running) {
    auto check = future.get();
    context.log.debug(fmt::format(
        "{}: {} in {:.1f} ms", check.name, check.ok ? "ok" : check.reason, check.latency_ms));
    result.checks.push_back(std::move(check));
  }
  result.elapsed_ms = milliseconds_since(start);
  return result;
}

core::ExitCode exit_code(const HealthResult& result) {
  bool any_failed = false;
  bool any_reached = false;
  for (const auto& check : result.checks) {
    any_failed = any_failed || !check.ok;
    bool unreachable = !check.ok && (check.reason == "dns" || check.reason == "connect" ||
                                     check.reason == "timeout" || check.reason == "tls");
    any_reached = any_reached || !unreachable;
  }
  if (!any_reached) {
    return core::ExitCode::unreachable;
  }
  return any_failed ? core::ExitCode::failed : core::ExitCode::ok;
}

core::output::Report render(const HealthResult& result) {
  using Tone = core::output::Table::Tone;
  core::output::Report report;
  auto& checks = report.json["checks"] = nlohmann::json::array();
  core::output::Table table({"check", "status", "latency", "target", "detail"});
  table.align_right(2);
  std::size_t passing = 0;
  for (const auto& check : result.checks) {
    passing += check.ok ? 1 : 0;
    checks.push_back({{"name", check.name},
                      {"kind", check.kind},
                      {"target", check.target},
                      {"status", check.ok ? "pass" : "fail"},
                      {"latency_ms", std::round(check.latency_ms * 1000) / 1000},
                      {"reason", check.ok ? nlohmann::json(nullptr) : nlohmann::json(check.reason)},
                      {"message", core::redact(check.message)}});
    table.add_row({{check.name},
                   {check.ok ? "pass" : "FAIL " + check.reason, check.ok ? Tone::good : Tone::bad},
                   {fmt::format("{:.1f} ms", check.latency_ms)},
                   {check.target},
                   {core::redact(check.message)}});
  }
  report.json["status"] = passing == result.checks.size() ? "pass" : "fail";
  report.json["elapsed_ms"] = std::round(result.elapsed_ms * 1000) / 1000;
  report.tables.push_back(std::move(table));
  report.notes.push_back(fmt::format(
      "{}/{} checks passed in {:.1f} ms", passing, result.checks.size(), result.elapsed_ms));
  return report;
}

} // namespace golfops::commands::health
