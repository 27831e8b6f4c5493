#include "core/checks/check.hpp"

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/net.hpp"
#include "core/pg/client.hpp"
#include "core/redact.hpp"
#include "core/redis/client.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <functional>
#include <future>
#include <map>
#include <sys/statvfs.h>

namespace golfops::core::checks {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<std::pair<std::string_view, CheckType>, 7> k_types{{
    {"postgres", CheckType::postgres},
    {"redis", CheckType::redis},
    {"http", CheckType::http},
    {"tcp", CheckType::tcp},
    {"tls", CheckType::tls},
    {"disk", CheckType::disk},
    {"backup", CheckType::backup},
}};

std::map<CheckType, Probe>& registered_probes() {
  static std::map<CheckType, Probe> k_probes;
  return k_probes;
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void fail(CheckResult& check, Reason reason, std::string message) {
  check.ok = false;
  check.reason = reason;
  check.message = std::move(message);
}

// Runs `probe`, timing it; a client's failure becomes the check's typed
// reason (a statement the server refused is a `query` failure).
CheckResult timed(CheckResult check, const std::function<void(CheckResult&)>& probe) {
  auto start = Clock::now();
  try {
    probe(check);
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& error) {
    if (error.code() == ExitCode::usage) {
      throw; // the check is misconfigured (sslmode=bogus): exit 2, not a failing probe
    }
    fail(check,
         error.failure() == Failure::none ? Reason::query : reason_for(error.failure()),
         redact(error.what()));
  }
  check.latency_ms = milliseconds_since(start);
  return check;
}

std::uint64_t info_number(const std::string& info, std::string_view field) {
  auto text = redis::info_field(info, field);
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

CheckResult probe_postgres(const CheckSpec& spec, const pg::Settings& settings) {
  return timed({spec.name, spec.type, settings.target(), spec.critical}, [&](CheckResult& check) {
    pg::Client client(settings);
    auto query = spec.query.empty() ? std::string("SELECT 1") : spec.query;
    auto result = client.execute(query);
    auto value = result.rows() > 0 && result.columns() > 0 ? result.text(0, 0) : "";
    auto expected = spec.expect.value_or(spec.query.empty() ? "1" : value);
    if (value != expected) {
      return fail(
          check, Reason::query, fmt::format("{}: expected '{}', got '{}'", query, expected, value));
    }
    check.ok = true;
    check.message = "PostgreSQL " + client.server_version();
    // An idle primary sends nothing to replay: when everything received is
    // replayed the replica is current, however old its last transaction.
    auto replica = client.execute(
        "SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN 0 WHEN "
        "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE coalesce(extract(epoch "
        "FROM now() - pg_last_xact_replay_timestamp()), 0) END");
    if (replica.text(0, 0) == "t") {
      double lag_seconds = 0;
      auto lag = replica.at(0, 1);
      std::from_chars(lag.data(), lag.data() + lag.size(), lag_seconds);
      auto lag_ms = static_cast<long long>(lag_seconds * 1000);
      std::optional<double> bound;
      if (spec.max_replication_lag) {
        bound = static_cast<double>(spec.max_replication_lag->count()) / 1000.0;
      }
      check.measurements.push_back({"replication_lag_seconds", lag_seconds, "s", bound});
      check.message +=
          fmt::format(", replica, replay lag {}", format_duration(Milliseconds(lag_ms)));
      if (spec.max_replication_lag && lag_ms > spec.max_replication_lag->count()) {
        fail(check,
             Reason::query,
             fmt::format("replication lag {} exceeds {}",
                         format_duration(Milliseconds(lag_ms)),
                         format_duration(*spec.max_replication_lag)));
      }
    }
  });
}

CheckResult probe_redis(const CheckSpec& spec, const redis::Settings& settings) {
  return timed(
      {spec.name, spec.type, settings.endpoint.to_display(), spec.critical},
      [&](CheckResult& check) {
        redis::Client client(settings);
        auto replies = client.pipeline(
            {{"PING"}, {"INFO", "server"}, {"INFO", "memory"}, {"INFO", "replication"}});
        if (replies[0].is_error()) {
          // NOAUTH / WRONGPASS are the protocol's error codes, not prose.
          auto code = replies[0].error_code();
          return fail(check,
                      code == "NOAUTH" || code == "WRONGPASS" ? Reason::auth : Reason::query,
                      fmt::format("PING: {}", redact(replies[0].text)));
        }
        if (replies[0].text != "PONG") {
          return fail(
              check, Reason::query, fmt::format("PING: expected PONG, got '{}'", replies[0].text));
        }
        auto used = info_number(replies[2].text, "used_memory");
        auto limit = info_number(replies[2].text, "maxmemory");
        check.measurements.push_back(
            {"redis_memory_used_bytes", static_cast<double>(used), "B", {}});
        if (limit > 0) {
          std::optional<double> bound;
          if (spec.max_memory_percent) {
            bound = static_cast<double>(*spec.max_memory_percent) / 100.0;
          }
          check.measurements.push_back({"redis_memory_ratio",
                                        static_cast<double>(used) / static_cast<double>(limit),
                                        "",
                                        bound});
        }
        check.ok = true;
        check.message = fmt::format("Redis {} role={} memory {}{}",
                                    redis::info_field(replies[1].text, "redis_version"),
                                    redis::info_field(replies[3].text, "role"),
                                    format_size(used),
                                    limit > 0 ? " of " + format_size(limit) : " (no maxmemory)");
        if (spec.max_memory_percent && limit > 0 &&
            used * 100 > limit * static_cast<unsigned long long>(*spec.max_memory_percent)) {
          fail(check,
               Reason::query,
               fmt::format("memory {} is over {}% of maxmemory {}",
                           format_size(used),
                           *spec.max_memory_percent,
                           format_size(limit)));
        }
      });
}

void check_certificate(CheckResult& check, const CheckSpec& spec, std::optional<double> days_left) {
  if (!days_left) {
    return;
  }
  // Alerting wants the moment, not a count that shrinks between scrapes.
  auto now = static_cast<double>(std::time(nullptr));
  check.measurements.push_back(
      {"certificate_expiry_timestamp_seconds", now + *days_left * 86400.0, "", {}});
  std::optional<double> bound;
  if (spec.min_certificate_days) {
    bound = static_cast<double>(*spec.min_certificate_days);
  }
  check.measurements.push_back({"certificate_days_left", *days_left, "", bound});
  if (!check.ok) {
    return;
  }
  check.message += fmt::format(", certificate valid {:.0f} more days", *days_left);
  if (spec.min_certificate_days && *days_left < static_cast<double>(*spec.min_certificate_days)) {
    fail(check,
         Reason::certificate,
         fmt::format("certificate expires in {:.1f} days, expected at least {}",
                     *days_left,
                     *spec.min_certificate_days));
  }
}

CheckResult probe_http(const CheckSpec& spec) {
  CheckResult check{spec.name, spec.type, redact_url(spec.url), spec.critical};
  http::Request request;
  request.method = spec.method;
  request.url = spec.url;
  request.headers = spec.headers;
  request.body = spec.body;
  request.ca_file = spec.ca_file;
  request.total_timeout = spec.timeout;
  request.connect_timeout = std::min(spec.timeout, Milliseconds(5000));
  auto response = http::perform(request);
  check.latency_ms = response.seconds * 1000.0;
  if (response.status > 0) {
    check.measurements.push_back({"http_status", static_cast<double>(response.status), "", {}});
  }
  if (response.failure != Failure::none) {
    fail(check, reason_for(response.failure), redact(response.error));
    return check;
  }
  if (response.status != spec.status) {
    fail(check,
         Reason::status,
         fmt::format("expected status {}, got {}", spec.status, response.status));
    check_certificate(check, spec, response.certificate_days_left);
    return check;
  }
  for (const auto& condition : spec.conditions) {
    auto verdict = evaluate(condition, response);
    if (!verdict.ok) {
      fail(check, verdict.reason, verdict.message);
      return check;
    }
  }
  check.ok = true;
  check.message = fmt::format("HTTP {}", response.status);
  check_certificate(check, spec, response.certificate_days_left);
  return check;
}

// tcp: the port accepts a connection; tls: it also completes a verified
// handshake, and the certificate's expiry is measured.
CheckResult probe_socket(const CheckSpec& spec) {
  return timed({spec.name, spec.type, spec.address, spec.critical}, [&](CheckResult& check) {
    auto [host, port] = net::split_address(spec.address);
    net::TlsOptions tls{spec.type == CheckType::tls, host, spec.ca_file};
    net::Stream stream(host, port, tls, net::deadline_after(spec.timeout));
    check.ok = true;
    check.message = spec.type == CheckType::tls ? "handshake verified" : "connected";
    if (auto not_after = stream.certificate_not_after()) {
      auto days = std::difftime(*not_after, std::time(nullptr)) / 86400.0;
      check_certificate(check, spec, days);
    }
  });
}

CheckResult probe_disk(const CheckSpec& spec) {
  CheckResult check{spec.name, spec.type, spec.path, spec.critical};
  auto start = Clock::now();
  struct statvfs info {};
  if (::statvfs(spec.path.c_str(), &info) != 0) {
    fail(check, Reason::query, fmt::format("cannot stat {}: {}", spec.path, std::strerror(errno)));
  } else {
    auto free = static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
    auto total = static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize;
    double percent = total > 0 ? 100.0 * static_cast<double>(free) / static_cast<double>(total) : 0;
    check.ok = true;
    check.message =
        fmt::format("{} free of {} ({:.1f}%)", format_size(free), format_size(total), percent);
    std::optional<double> bytes_bound;
    std::optional<double> ratio_bound;
    if (spec.min_free.ends_with('%')) {
      ratio_bound = std::stod(spec.min_free.substr(0, spec.min_free.size() - 1)) / 100.0;
    } else if (!spec.min_free.empty()) {
      bytes_bound = static_cast<double>(parse_size(spec.min_free, "min_free"));
    }
    check.measurements.push_back({"disk_free_bytes", static_cast<double>(free), "B", bytes_bound});
    check.measurements.push_back({"disk_free_ratio", percent / 100.0, "", ratio_bound});
    if (!spec.min_free.empty()) {
      bool low = spec.min_free.ends_with('%')
                     ? percent < std::stod(spec.min_free.substr(0, spec.min_free.size() - 1))
                     : free < parse_size(spec.min_free, "min_free");
      if (low) {
        fail(check,
             Reason::space,
             fmt::format("expected at least {} free, {}", spec.min_free, check.message));
      }
    }
  }
  check.latency_ms = milliseconds_since(start);
  return check;
}

long parse_long(const config::Value& value, std::string_view field) {
  long number = 0;
  auto [end, error] =
      std::from_chars(value.text.data(), value.text.data() + value.text.size(), number);
  if (error != std::errc() || end != value.text.data() + value.text.size()) {
    throw_usage(fmt::format("{}: invalid integer '{}'", field, value.text));
  }
  return number;
}

} // namespace

std::string_view to_string(CheckType type) {
  for (const auto& [name, candidate] : k_types) {
    if (candidate == type) {
      return name;
    }
  }
  return "http";
}

std::optional<CheckType> parse_check_type(std::string_view name) {
  for (const auto& [spelling, type] : k_types) {
    if (spelling == name) {
      return type;
    }
  }
  return std::nullopt;
}

std::vector<config::KeySpec> check_keys() {
  using config::ValueType;
  return {
      {.name = "name", .description = "label in output and metrics (default: the type)"},
      {.name = "type",
       .type = ValueType::choice,
       .description = "what to probe",
       .choices = {"postgres", "redis", "http", "tcp", "tls", "disk", "backup"}},
      {.name = "severity",
       .type = ValueType::choice,
       .default_value = "critical",
       .description = "a failing warning check does not fail the run",
       .choices = {"critical", "warning"}},
      {.name = "timeout",
       .type = ValueType::duration,
       .default_value = "5s",
       .description = "time allowed for the whole probe"},
      {.name = "url",
       .type = ValueType::text,
       .description =
           "postgres/redis/http target (postgres, redis: default database.url / redis.url)",
       .secret_parts = true},
      {.name = "address", .description = "tcp, tls: host:port"},
      {.name = "path",
       .type = ValueType::path,
       .description = "disk: a path on the filesystem; backup: the backup directory (default "
                      "backup.dir)"},
      {.name = "database", .description = "backup: whose backups (default: database.url's)"},
      {.name = "kind",
       .type = ValueType::choice,
       .default_value = "postgres",
       .description = "backup: pg_dump archives (postgres) or Redis snapshots (redis)",
       .choices = {"postgres", "redis"}},
      {.name = "max_age",
       .type = ValueType::duration,
       .description = "backup: the newest verified backup must be younger"},
      {.name = "min_free",
       .description = "disk: least free space, a size (10GiB) or a percentage (10%)"},
      {.name = "query", .description = "postgres: a query to run instead of SELECT 1"},
      {.name = "expect", .description = "postgres: the value the query must return"},
      {.name = "max_replication_lag",
       .type = ValueType::duration,
       .description = "postgres: on a replica, the most replay lag allowed"},
      {.name = "max_memory_percent",
       .type = ValueType::integer,
       .description = "redis: used_memory against maxmemory, in percent"},
      {.name = "method", .default_value = "GET", .description = "http: request method"},
      {.name = "headers",
       .type = ValueType::string_map,
       .description = "http: request headers (Authorization, Cookie and the like are secrets)",
       .secret_parts = true},
      {.name = "body", .description = "http: request body"},
      {.name = "status",
       .type = ValueType::integer,
       .default_value = "200",
       .description = "http: expected status"},
      {.name = "conditions",
       .type = ValueType::string_list,
       .description = "http: e.g. '$.status == \"ok\"', 'header.content-type contains json'"},
      {.name = "max_latency",
       .type = ValueType::duration,
       .description = "fail when the probe takes longer (reason latency)"},
      {.name = "ca_file",
       .type = ValueType::path,
       .description = "https, tls: CA certificates to trust (default: the system store)"},
      {.name = "min_certificate_days",
       .type = ValueType::integer,
       .description = "https, tls: fail when the certificate expires sooner"},
  };
}

void require_address(std::string_view address, std::string_view field) {
  auto colon = address.rfind(':');
  auto invalid = [&](std::string_view why) {
    throw_usage(fmt::format("{}: invalid address '{}' ({}; expected HOST:PORT with a port from 1 "
                            "to 65535)",
                            field,
                            address,
                            why));
  };
  if (colon == std::string_view::npos || colon == 0) {
    invalid("no port");
  }
  auto port_text = address.substr(colon + 1);
  int port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
      port > 65535) {
    invalid(fmt::format("port '{}'", port_text));
  }
}

void require_method(std::string_view method, std::string_view field) {
  bool token = !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
    return (c >= 'A' && c <= 'Z');
  });
  if (!token) {
    throw_usage(fmt::format(
        "{}: invalid method '{}' (expected an upper-case HTTP method such as GET, HEAD, POST)",
        field,
        method));
  }
}

void require_status(long status, std::string_view field) {
  if (status < 100 || status > 599) {
    throw_usage(fmt::format("{}: invalid status {} (expected 100 to 599)", field, status));
  }
}

void require_min_free(std::string_view min_free, std::string_view field) {
  if (min_free.ends_with('%')) {
    double percent = -1;
    auto number = min_free.substr(0, min_free.size() - 1);
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), percent);
    if (error != std::errc() || end != number.data() + number.size() || percent < 0 ||
        percent > 100) {
      throw_usage(fmt::format(
          "{}: invalid value '{}' (expected a size such as 10GiB or a percentage 0-100%)",
          field,
          min_free));
    }
    return;
  }
  parse_size(min_free, field);
}

CheckSpec spec_from(const config::Entry& entry, std::string_view array, std::size_t index) {
  auto field = [&](std::string_view key) {
    return fmt::format("{}: {}[{}].{}",
                       entry.value(key).source == config::Source::file ? entry.value(key).origin
                                                                       : entry.origin,
                       array,
                       index,
                       key);
  };
  CheckSpec spec;
  spec.origin = entry.origin;
  auto type = parse_check_type(entry.text("type"));
  if (!type) {
    throw_usage(
        fmt::format("{}: {} (expected one of postgres, redis, http, tcp, tls, disk, backup)",
                    field("type"),
                    entry.text("type").empty() ? std::string("missing")
                                               : "invalid value '" + entry.text("type") + "'"));
  }
  spec.type = *type;
  spec.name = entry.text("name").empty() ? std::string(to_string(spec.type)) : entry.text("name");
  if (entry.text("severity") != "critical" && entry.text("severity") != "warning") {
    throw_usage(fmt::format("{}: invalid value '{}' (expected critical or warning)",
                            field("severity"),
                            entry.text("severity")));
  }
  spec.critical = entry.text("severity") != "warning";
  spec.timeout = parse_duration(entry.text("timeout"), field("timeout"));
  if (spec.timeout.count() <= 0) {
    throw_usage(fmt::format("{}: must be more than 0", field("timeout")));
  }
  spec.url = entry.text("url");
  spec.address = entry.text("address");
  spec.path = entry.text("path");
  spec.database = entry.text("database");
  spec.redis_backups = entry.text("kind") == "redis";
  if (entry.is_set("max_age")) {
    spec.max_age = parse_duration(entry.text("max_age"), field("max_age"));
  }
  spec.min_free = entry.text("min_free");
  spec.query = entry.text("query");
  if (entry.is_set("expect")) {
    spec.expect = entry.text("expect");
  }
  if (entry.is_set("max_replication_lag")) {
    spec.max_replication_lag =
        parse_duration(entry.text("max_replication_lag"), field("max_replication_lag"));
  }
  if (entry.is_set("max_memory_percent")) {
    spec.max_memory_percent =
        parse_long(entry.value("max_memory_percent"), field("max_memory_percent"));
    if (*spec.max_memory_percent < 1 || *spec.max_memory_percent > 100) {
      throw_usage(fmt::format("{}: invalid value {} (expected 1 to 100)",
                              field("max_memory_percent"),
                              *spec.max_memory_percent));
    }
  }
  spec.method = entry.text("method");
  require_method(spec.method, field("method"));
  for (const auto& item : entry.value("headers").items) {
    auto colon = item.find(": ");
    auto name = item.substr(0, colon);
    auto value = item.substr(colon + 2);
    http::require_header_name(name, field("headers"));
    // A line break would end the header and start another (injection).
    if (!printable(value)) {
      throw_usage(fmt::format(
          "{}: {}: the value is not one line of printable text", field("headers"), name));
    }
    spec.headers.emplace_back(std::move(name), std::move(value));
  }
  spec.body = entry.text("body");
  spec.status = parse_long(entry.value("status"), field("status"));
  require_status(spec.status, field("status"));
  for (const auto& text : entry.value("conditions").items) {
    spec.conditions.push_back(parse_condition(text, field("conditions")));
  }
  if (entry.is_set("max_latency")) {
    spec.max_latency = parse_duration(entry.text("max_latency"), field("max_latency"));
  }
  if (entry.is_set("min_certificate_days")) {
    spec.min_certificate_days =
        parse_long(entry.value("min_certificate_days"), field("min_certificate_days"));
  }
  spec.ca_file = entry.text("ca_file");
  if (!spec.min_free.empty()) {
    require_min_free(spec.min_free, field("min_free"));
  }
  auto require = [&](bool present, std::string_view key) {
    if (!present) {
      throw_usage(fmt::format("{}: required for a {} check", field(key), to_string(spec.type)));
    }
  };
  switch (spec.type) {
  case CheckType::http:
    require(!spec.url.empty(), "url");
    http::require_http_url(spec.url, field("url"));
    break;
  case CheckType::tcp:
  case CheckType::tls:
    require(!spec.address.empty(), "address");
    require_address(spec.address, field("address"));
    break;
  case CheckType::disk:
    require(!spec.path.empty(), "path");
    break;
  case CheckType::backup:
    require(spec.max_age.has_value(), "max_age");
    break;
  case CheckType::postgres:
    if (!spec.url.empty()) {
      pg::parse_conninfo(spec.url, field("url"));
    }
    break;
  case CheckType::redis:
    if (!spec.url.empty()) {
      redis::parse_endpoint(spec.url, field("url"));
    }
    break;
  }
  return spec;
}

void register_probe(CheckType type, Probe probe) {
  registered_probes()[type] = std::move(probe);
}

CheckResult run_check(const CheckSpec& spec, const config::Config& config) {
  CheckResult result;
  switch (spec.type) {
  case CheckType::postgres: {
    auto settings = pg::settings_from(config, spec.url, spec.origin);
    settings.connect_timeout = spec.timeout;
    settings.statement_timeout = spec.timeout;
    settings.deadline = Clock::now() + spec.timeout;
    result = probe_postgres(spec, settings);
    break;
  }
  case CheckType::redis: {
    // A malformed URL or unreadable password file is a config error (exit
    // 2), not a failing check.
    auto settings = redis::settings_from(config, spec.url, spec.origin);
    settings.connect_timeout = std::min(settings.connect_timeout, spec.timeout);
    settings.command_timeout = std::min(settings.command_timeout, spec.timeout);
    settings.deadline = Clock::now() + spec.timeout;
    result = probe_redis(spec, settings);
    break;
  }
  case CheckType::http:
    result = probe_http(spec);
    break;
  case CheckType::tcp:
  case CheckType::tls:
    result = probe_socket(spec);
    break;
  case CheckType::disk:
    result = probe_disk(spec);
    break;
  case CheckType::backup:
    if (auto probe = registered_probes().find(spec.type); probe != registered_probes().end()) {
      result = probe->second(spec, config);
    } else {
      fail(result, Reason::query, "no backup probe registered");
    }
    break;
  }
  if (result.ok && spec.max_latency &&
      result.latency_ms > static_cast<double>(spec.max_latency->count())) {
    fail(result,
         Reason::latency,
         fmt::format("took {:.1f} ms, expected under {}",
                     result.latency_ms,
                     format_duration(*spec.max_latency)));
  }
  return result;
}

std::vector<CheckResult> run_checks(const std::vector<CheckSpec>& specs,
                                    const config::Config& config) {
  std::vector<std::future<CheckResult>> running;
  for (const auto& spec : specs) {
    running.push_back(
        std::async(std::launch::async, [&spec, &config] { return run_check(spec, config); }));
  }
  std::vector<CheckResult> results;
  for (auto& future : running) {
    results.push_back(future.get());
  }
  return results;
}

} // namespace golfops::core::checks
