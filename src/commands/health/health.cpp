#include "commands/health/health.hpp"

#include "core/error.hpp"
#include "core/net.hpp"
#include "core/pg/client.hpp"
#include "core/redact.hpp"
#include "core/redis/client.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <functional>
#include <future>
#include <sys/statvfs.h>
#include <thread>

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
    check.message = core::redact(error.what());
  }
  check.latency_ms = milliseconds_since(start);
  return check;
}

void fail(CheckResult& check, std::string reason, std::string message) {
  check.ok = false;
  check.reason = std::move(reason);
  check.message = std::move(message);
}

std::string info_field(const std::string& info, std::string_view field) {
  auto key = std::string(field) + ":";
  auto at = info.find(key);
  if (at == std::string::npos) {
    return {};
  }
  auto start = at + key.size();
  return info.substr(start, info.find('\r', start) - start);
}

CheckResult probe_postgres(const CheckSpec& spec, core::pg::Settings settings) {
  return timed({spec.name, "postgres", settings.target(), spec.critical}, [&](CheckResult& check) {
    core::pg::Client client(settings);
    auto query = spec.query.empty() ? std::string("SELECT 1") : spec.query;
    auto result = client.execute(query);
    auto value = result.rows() > 0 && result.columns() > 0 ? result.text(0, 0) : "";
    auto expected = spec.expect.value_or(spec.query.empty() ? "1" : value);
    if (value != expected) {
      return fail(
          check, "query", fmt::format("{}: expected '{}', got '{}'", query, expected, value));
    }
    check.ok = true;
    check.message = "PostgreSQL " + client.server_version();
    if (client.execute("SELECT pg_is_in_recovery()").text(0, 0) == "t") {
      // An idle primary sends nothing to replay: when everything received is
      // replayed the replica is current, however old its last transaction.
      auto lag = client
                     .execute("SELECT CASE WHEN pg_last_wal_receive_lsn() = "
                              "pg_last_wal_replay_lsn() THEN 0 ELSE coalesce(extract(epoch FROM "
                              "now() - pg_last_xact_replay_timestamp()), 0) END")
                     .text(0, 0);
      auto lag_ms = static_cast<long long>(std::stod(lag) * 1000);
      check.message += fmt::format(", replica, replay lag {}",
                                   core::format_duration(core::Milliseconds(lag_ms)));
      if (spec.max_replication_lag && lag_ms > spec.max_replication_lag->count()) {
        fail(check,
             "query",
             fmt::format("replication lag {} exceeds {}",
                         core::format_duration(core::Milliseconds(lag_ms)),
                         core::format_duration(*spec.max_replication_lag)));
      }
    }
  });
}

CheckResult probe_redis(const CheckSpec& spec, const core::redis::Settings& settings) {
  return timed(
      {spec.name, "redis", settings.endpoint.to_display(), spec.critical}, [&](CheckResult& check) {
        core::redis::Client client(settings);
        auto replies = client.pipeline(
            {{"PING"}, {"INFO", "server"}, {"INFO", "memory"}, {"INFO", "replication"}});
        if (replies[0].is_error() || replies[0].text != "PONG") {
          return fail(
              check, "query", fmt::format("PING: expected PONG, got '{}'", replies[0].text));
        }
        auto used = std::stoull("0" + info_field(replies[2].text, "used_memory"));
        auto limit = std::stoull("0" + info_field(replies[2].text, "maxmemory"));
        check.ok = true;
        check.message =
            fmt::format("Redis {} role={} memory {}{}",
                        info_field(replies[1].text, "redis_version"),
                        info_field(replies[3].text, "role"),
                        core::format_size(used),
                        limit > 0 ? " of " + core::format_size(limit) : " (no maxmemory)");
        if (spec.max_memory_percent && limit > 0 &&
            used * 100 > limit * static_cast<unsigned long long>(*spec.max_memory_percent)) {
          fail(check,
               "query",
               fmt::format("memory {} is over {}% of maxmemory {}",
                           core::format_size(used),
                           *spec.max_memory_percent,
                           core::format_size(limit)));
        }
      });
}

CheckResult probe_http(const CheckSpec& spec) {
  CheckResult check{spec.name, "http", core::redact_url(spec.url), spec.critical};
  core::http::Request request;
  request.method = spec.method;
  request.url = spec.url;
  request.headers = spec.headers;
  request.ca_file = spec.ca_file;
  request.total_timeout = spec.timeout;
  request.connect_timeout = std::min(spec.timeout, core::Milliseconds(5000));
  auto response = core::http::perform(request);
  check.latency_ms = response.seconds * 1000.0;
  if (response.failure != core::http::Failure::none) {
    auto reason = response.failure == core::http::Failure::other
                      ? std::string("connect")
                      : std::string(core::http::failure_name(response.failure));
    fail(check, reason, core::redact(response.error));
    return check;
  }
  if (response.status != spec.status) {
    fail(check, "status", fmt::format("expected status {}, got {}", spec.status, response.status));
    return check;
  }
  for (const auto& condition : spec.conditions) {
    auto verdict = evaluate(condition, response);
    if (!verdict.ok) {
      fail(check, verdict.reason, verdict.message);
      return check;
    }
  }
  if (spec.min_certificate_days && response.certificate_days_left &&
      *response.certificate_days_left < static_cast<double>(*spec.min_certificate_days)) {
    fail(check,
         "certificate",
         fmt::format("certificate expires in {:.1f} days, expected at least {}",
                     *response.certificate_days_left,
                     *spec.min_certificate_days));
    return check;
  }
  check.ok = true;
  check.message = fmt::format("HTTP {}", response.status);
  if (response.certificate_days_left) {
    check.message +=
        fmt::format(", certificate valid {:.0f} more days", *response.certificate_days_left);
  }
  return check;
}

CheckResult probe_tcp(const CheckSpec& spec) {
  CheckResult check{spec.name, "tcp", spec.address, spec.critical};
  auto start = Clock::now();
  auto colon = spec.address.rfind(':');
  auto host = spec.address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    core::net::Stream stream(host,
                             std::stoi(spec.address.substr(colon + 1)),
                             {},
                             core::net::deadline_after(spec.timeout));
    check.ok = true;
    check.message = "connected";
  } catch (const core::net::NetError& error) {
    auto reason = error.failure() == core::net::Failure::dns       ? "dns"
                  : error.failure() == core::net::Failure::timeout ? "timeout"
                                                                   : "connect";
    fail(check, reason, error.what());
  }
  check.latency_ms = milliseconds_since(start);
  return check;
}

CheckResult probe_disk(const CheckSpec& spec) {
  CheckResult check{spec.name, "disk", spec.path, spec.critical};
  auto start = Clock::now();
  struct statvfs info {};
  if (::statvfs(spec.path.c_str(), &info) != 0) {
    fail(check, "query", fmt::format("cannot stat {}: {}", spec.path, std::strerror(errno)));
  } else {
    auto free = static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
    auto total = static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize;
    double percent = total > 0 ? 100.0 * static_cast<double>(free) / static_cast<double>(total) : 0;
    check.ok = true;
    check.message = fmt::format(
        "{} free of {} ({:.1f}%)", core::format_size(free), core::format_size(total), percent);
    if (!spec.min_free.empty()) {
      bool low = spec.min_free.ends_with('%')
                     ? percent < std::stod(spec.min_free.substr(0, spec.min_free.size() - 1))
                     : free < core::parse_size(spec.min_free, "min_free");
      if (low) {
        fail(check,
             "space",
             fmt::format("expected at least {} free, {}", spec.min_free, check.message));
      }
    }
  }
  check.latency_ms = milliseconds_since(start);
  return check;
}

CheckResult run_check(const CheckSpec& spec, const core::config::Config& config) {
  CheckResult result;
  if (spec.type == "postgres") {
    auto settings = core::pg::settings_from(config);
    if (!spec.url.empty()) {
      settings.conninfo = core::pg::parse_conninfo(spec.url, spec.origin);
    }
    settings.connect_timeout = spec.timeout;
    settings.statement_timeout = spec.timeout;
    result = probe_postgres(spec, settings);
  } else if (spec.type == "redis") {
    auto settings = core::redis::settings_from(config);
    if (!spec.url.empty()) {
      settings.endpoint = core::redis::parse_endpoint(spec.url, spec.origin);
    }
    settings.connect_timeout = std::min(settings.connect_timeout, spec.timeout);
    settings.command_timeout = std::min(settings.command_timeout, spec.timeout);
    result = probe_redis(spec, settings);
  } else if (spec.type == "http") {
    result = probe_http(spec);
  } else if (spec.type == "tcp") {
    result = probe_tcp(spec);
  } else {
    result = probe_disk(spec);
  }
  if (result.ok && spec.max_latency &&
      result.latency_ms > static_cast<double>(spec.max_latency->count())) {
    fail(result,
         "latency",
         fmt::format("took {:.1f} ms, expected under {}",
                     result.latency_ms,
                     core::format_duration(*spec.max_latency)));
  }
  return result;
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

CheckSpec spec_from(const core::config::Entry& entry, std::size_t index) {
  auto field = [&](std::string_view key) { return fmt::format("health.check[{}].{}", index, key); };
  CheckSpec spec;
  spec.origin = entry.origin;
  spec.type = entry.text("type");
  if (spec.type.empty()) {
    core::throw_usage(fmt::format(
        "{}: {}: missing (one of postgres, redis, http, tcp, disk)", entry.origin, field("type")));
  }
  spec.name = entry.text("name").empty() ? spec.type : entry.text("name");
  spec.critical = entry.text("severity") != "warning";
  spec.timeout = core::parse_duration(entry.text("timeout"), field("timeout"));
  spec.url = entry.text("url");
  spec.address = entry.text("address");
  spec.path = entry.text("path");
  spec.min_free = entry.text("min_free");
  spec.query = entry.text("query");
  if (entry.is_set("expect")) {
    spec.expect = entry.text("expect");
  }
  if (entry.is_set("max_replication_lag")) {
    spec.max_replication_lag =
        core::parse_duration(entry.text("max_replication_lag"), field("max_replication_lag"));
  }
  if (entry.is_set("max_memory_percent")) {
    spec.max_memory_percent = std::stol(entry.text("max_memory_percent"));
  }
  spec.method = entry.text("method");
  for (const auto& item : entry.value("headers").items) {
    auto colon = item.find(": ");
    spec.headers.emplace_back(item.substr(0, colon), item.substr(colon + 2));
  }
  spec.status = std::stol(entry.text("status"));
  for (const auto& text : entry.value("conditions").items) {
    spec.conditions.push_back(
        parse_condition(text, fmt::format("{}: {}", entry.origin, field("conditions"))));
  }
  if (entry.is_set("max_latency")) {
    spec.max_latency = core::parse_duration(entry.text("max_latency"), field("max_latency"));
  }
  if (entry.is_set("min_certificate_days")) {
    spec.min_certificate_days = std::stol(entry.text("min_certificate_days"));
  }
  spec.ca_file = entry.text("ca_file");
  if (!spec.min_free.empty() && !spec.min_free.ends_with('%')) {
    core::parse_size(spec.min_free, field("min_free"));
  }
  auto require = [&](bool present, std::string_view key) {
    if (!present) {
      core::throw_usage(
          fmt::format("{}: {}: required for a {} check", entry.origin, field(key), spec.type));
    }
  };
  if (spec.type == "http") {
    require(!spec.url.empty(), "url");
    core::http::require_http_url(spec.url, fmt::format("{}: {}", entry.origin, field("url")));
  } else if (spec.type == "tcp") {
    require(spec.address.rfind(':') != std::string::npos, "address");
  } else if (spec.type == "disk") {
    require(!spec.path.empty(), "path");
  }
  return spec;
}

} // namespace

std::vector<CheckSpec> checks_from(const HealthOptions& options,
                                   const core::config::Config& config) {
  std::vector<CheckSpec> checks;
  // A check from a flag or from the connection settings: named by its type.
  auto add = [&checks](const std::string& type, std::string_view origin) -> CheckSpec& {
    auto& spec = checks.emplace_back();
    spec.type = type;
    spec.name = type;
    spec.origin = origin;
    return spec;
  };
  for (const auto& url : options.http) {
    core::http::require_http_url(url, "--http");
    add("http", "--http").url = url;
  }
  for (const auto& address : options.tcp) {
    if (address.rfind(':') == std::string::npos) {
      core::throw_usage(fmt::format("--tcp: '{}' is not HOST:PORT", address));
    }
    add("tcp", "--tcp").address = address;
  }
  for (const auto& path : options.disk) {
    add("disk", "--disk").path = path;
  }
  if (checks.empty()) {
    const auto& entries = config.entries("health.check");
    for (std::size_t index = 0; index < entries.size(); ++index) {
      checks.push_back(spec_from(entries[index], index + 1));
    }
  }
  if (checks.empty()) {
    if (database_configured(config)) {
      add("postgres", "database.url").timeout = config.duration("database.connect_timeout");
    }
    if (config.is_set("redis.url")) {
      add("redis", "redis.url").timeout = config.duration("redis.connect_timeout");
    }
  }
  if (checks.empty()) {
    core::throw_usage(
        "health: nothing to check: add [[health.check]] entries, --http/--tcp/--disk, "
        "or set database.url (DATABASE_URL / PG* variables) or redis.url (REDIS_URL)");
  }
  // Names label metrics: make them unique (http, http_2, ...).
  std::map<std::string, int> seen;
  for (auto& check : checks) {
    if (++seen[check.name] > 1) {
      check.name += "_" + std::to_string(seen[check.name]);
    }
    if (options.timeout) {
      check.timeout = std::min(check.timeout, *options.timeout);
    }
  }
  return checks;
}

HealthResult run_checks(const std::vector<CheckSpec>& checks, core::Context& context) {
  auto start = Clock::now();
  std::vector<std::future<CheckResult>> running;
  for (const auto& check : checks) {
    running.push_back(std::async(std::launch::async,
                                 [&check, &context] { return run_check(check, context.config); }));
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

HealthResult run_health(const HealthOptions& options, core::Context& context) {
  return run_checks(checks_from(options, context.config), context);
}

WaitResult run_wait(const HealthOptions& options, const WaitOptions& wait, core::Context& context) {
  auto checks = checks_from(options, context.config);
  auto start = Clock::now();
  auto deadline = start + wait.timeout;
  auto pause = wait.interval;
  WaitResult result;
  auto poll = [&] {
    ++result.attempts;
    result.last = run_checks(checks, context);
    result.ready =
        std::all_of(result.last.checks.begin(),
                    result.last.checks.end(),
                    [](const CheckResult& check) { return check.ok || !check.critical; });
  };
  poll();
  while (!result.ready && Clock::now() < deadline) {
    std::vector<std::string> failing;
    for (const auto& check : result.last.checks) {
      if (!check.ok && check.critical) {
        failing.push_back(check.name + " " + check.reason);
        context.log.debug(
            fmt::format("waiting: {} {}: {}", check.name, check.reason, check.message));
      }
    }
    context.progress.step(static_cast<std::size_t>(result.attempts),
                          0,
                          fmt::format("waiting for {}", fmt::join(failing, ", ")));
    // The last poll lands on the deadline rather than past it.
    std::this_thread::sleep_until(std::min(Clock::now() + pause, deadline));
    pause = std::min(pause + pause / 2, wait.interval * 4);
    poll();
  }
  result.waited_ms = milliseconds_since(start);
  return result;
}

core::ExitCode exit_code(const HealthResult& result) {
  bool critical_failed = false;
  bool any_reached = false;
  for (const auto& check : result.checks) {
    critical_failed = critical_failed || (!check.ok && check.critical);
    bool unreachable = !check.ok && (check.reason == "dns" || check.reason == "connect" ||
                                     check.reason == "timeout" || check.reason == "tls");
    any_reached = any_reached || !unreachable;
  }
  if (!any_reached) {
    return core::ExitCode::unreachable;
  }
  return critical_failed ? core::ExitCode::failed : core::ExitCode::ok;
}

NagiosLine nagios(const HealthResult& result) {
  std::size_t passing = 0;
  bool critical = false;
  bool warning = false;
  std::vector<std::string> failures;
  std::vector<std::string> perfdata;
  for (const auto& check : result.checks) {
    passing += check.ok ? 1 : 0;
    critical = critical || (!check.ok && check.critical);
    warning = warning || (!check.ok && !check.critical);
    if (!check.ok) {
      failures.push_back(fmt::format("{} {}", check.name, check.reason));
    }
    perfdata.push_back(fmt::format("'{}'={:.6f}s;;;0", check.name, check.latency_ms / 1000.0));
  }
  NagiosLine line;
  line.status = critical ? 2 : warning ? 1 : 0;
  static constexpr std::array<std::string_view, 4> k_names{"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  line.text = fmt::format("GOLFOPS HEALTH {} - {}/{} checks passed{}{} | {}",
                          k_names[static_cast<std::size_t>(line.status)],
                          passing,
                          result.checks.size(),
                          failures.empty() ? "" : ": ",
                          fmt::join(failures, ", "),
                          fmt::join(perfdata, " "));
  return line;
}

} // namespace golfops::commands::health
