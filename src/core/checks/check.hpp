#pragma once

#include "core/checks/conditions.hpp"
#include "core/checks/reason.hpp"
#include "core/config/config.hpp"
#include "core/config/schema.hpp"
#include "core/http/client.hpp"
#include "core/units.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::checks {

// What a check probes. health runs every kind; verify runs the same probes.
enum class CheckType { postgres, redis, http, tcp, tls, disk, backup };

std::string_view to_string(CheckType type);
std::optional<CheckType> parse_check_type(std::string_view name);

// One check, from a [[health.check]]-style table or a command-line flag.
struct CheckSpec {
  std::string name;
  CheckType type = CheckType::http;
  bool critical = true;
  Milliseconds timeout{5000};
  std::string url;                     // postgres, redis, http
  std::string address;                 // tcp, tls: host:port
  std::string path;                    // disk; backup: the backup directory (default backup.dir)
  std::string database;                // backup: whose backups (default database.url's)
  bool redis_backups = false;          // backup: kind = "redis", the RDB snapshots
  std::optional<Milliseconds> max_age; // backup: the newest verified one is younger
  std::string min_free;                // disk: "10GiB" or "10%"
  std::string query;                   // postgres
  std::optional<std::string> expect;
  std::optional<Milliseconds> max_replication_lag;
  std::optional<long> max_memory_percent;
  std::string method = "GET";
  http::Headers headers;
  std::string body;
  long status = 200;
  std::vector<Condition> conditions;
  std::optional<Milliseconds> max_latency;
  std::optional<long> min_certificate_days;
  std::string ca_file;
  std::string origin; // where it was declared: "golfops.toml:14", "--http"
};

// The keys of one check table: the schema for [[health.check]] (and for
// verify's checks), so every family that runs checks accepts the same keys.
std::vector<config::KeySpec> check_keys();

// A spec from one element of a check array, every value validated (type,
// URL, address and port, status range, method, conditions, min_free):
// throws Error(usage) naming "<origin>: <array>[<index>].<key>", the value
// and what is allowed. `config validate` calls this for every element of
// every profile, so a command never rejects a file that validate accepted.
CheckSpec spec_from(const config::Entry& entry, std::string_view array, std::size_t index);

// Validation shared by specs from flags: throws Error(usage) naming `field`.
void require_address(std::string_view address, std::string_view field); // host:port, port 1-65535
void require_method(std::string_view method, std::string_view field);
void require_status(long status, std::string_view field); // 100-599
void require_min_free(std::string_view min_free, std::string_view field);

// A value a probe measured, for monitoring: a Prometheus gauge
// (golfops_health_<name>) and Nagios perfdata with its threshold.
struct Measurement {
  std::string name; // "http_status", "disk_free_bytes", "replication_lag_seconds", ...
  double value = 0;
  std::string unit;                // Nagios unit: "s", "B", "%", "" (a count)
  std::optional<double> threshold; // the configured bound, in the same unit
};

struct CheckResult {
  std::string name = {};
  CheckType type = CheckType::http;
  std::string target = {}; // host:port/... (never a password)
  bool critical = true;
  bool ok = false;
  double latency_ms = 0;
  Reason reason = Reason::none; // none when ok
  std::string message = {};     // what was expected and what was seen, or details when ok
  std::vector<Measurement> measurements = {};
};

// A probe a command family implements (backup knows its own catalog),
// registered when the family registers; run_check dispatches to it.
using Probe = std::function<CheckResult(const CheckSpec&, const config::Config&)>;
void register_probe(CheckType type, Probe probe);

// Runs one probe, bounded by spec.timeout (connecting, resolving and every
// query included). Failures are results, typed by reason; only Cancelled
// escapes.
CheckResult run_check(const CheckSpec& spec, const config::Config& config);

// Runs every check at once: total time is the slowest check, not the sum.
std::vector<CheckResult> run_checks(const std::vector<CheckSpec>& specs,
                                    const config::Config& config);

} // namespace golfops::core::checks
