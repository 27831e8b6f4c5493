#pragma once

#include "core/checks/check.hpp"
#include "core/context.hpp"
#include "core/load/result.hpp"
#include "core/load/threshold.hpp"
#include "core/output/report.hpp"
#include "core/units.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace golfops::commands::verify {

// The built-in checks, in the order they run (docs/verify.md).
enum class Builtin {
  health,     // the liveness endpoint answers 200 with the expected JSON
  ready,      // the readiness endpoint: database and Redis checks
  metrics,    // Prometheus text (or JSON) at the metrics endpoint
  headers,    // security headers present with acceptable values
  version,    // the expected version string at the version endpoint
  tls,        // the certificate is valid for more than N days (https only)
  migrations, // the database is at the head of the migrations directory
  rules,      // Redis holds the rules PostgreSQL has (no drift)
  rate_limit, // a burst beyond one rule is answered 429 as the rule says
  latency,    // a short burst meets the SLO
  backup,     // the newest verified backup is young enough
};

std::string_view to_string(Builtin check);
std::optional<Builtin> parse_builtin(std::string_view name);
const std::vector<Builtin>& every_builtin();

// What a built-in check is pointed at and what it expects: the [verify.*]
// config keys, with the reference service's values as defaults, and the
// suite file and flags over them.
struct Settings {
  std::string base_url;      // scheme://host[:port], no trailing slash
  std::vector<Builtin> only; // empty: every built-in check that applies
  std::vector<Builtin> skip;
  core::Milliseconds timeout{5000}; // each request
  std::string ca_file;

  struct Endpoint {
    std::string path;
    std::vector<core::checks::Condition> conditions;
  };
  Endpoint health;
  Endpoint ready;
  struct Metrics {
    std::string path = "/metrics";
    std::string format = "prometheus"; // or json
    std::vector<std::string> required; // metric names that must be present
  } metrics;
  struct Headers {
    std::string path = "/health";
    // Header name and the values allowed ("*": any non-empty value).
    std::vector<std::pair<std::string, std::vector<std::string>>> required;
    std::int64_t hsts_min_age_seconds = 15552000; // 180 days
  } headers;
  struct Version {
    std::string path = "/version";
    std::string field = "$.version";
    std::string expect; // empty: the check does not apply
  } version;
  std::int64_t min_certificate_days = 14;
  struct RateLimit {
    std::string rule = "api_general";
    std::string method = "GET";
    std::string path = "/api/games";
    std::string body;
    std::string content_type = "application/json";
    // The dedicated client address the burst is counted under (TEST-NET-1,
    // which no real client has) and the header a trusted proxy passes it in.
    std::string client_ip = "192.0.2.77";
    std::string client_ip_header = "X-Forwarded-For";
    std::int64_t max_requests = 1000; // refuse to burst a rule with a larger limit
  } rate_limit;
  struct Latency {
    std::string path = "/health";
    double rate = 50; // requests per second, open model
    std::chrono::milliseconds duration{2000};
    int connections = 10;
    std::vector<core::load::Threshold> slo; // p95<200ms, error_rate<1% by default
  } latency;
  core::Milliseconds backup_max_age{26 * 3600 * 1000};
  bool backup_configured = false; // backup.dir is set
  bool database_configured = false;
  bool redis_configured = false;

  struct Tolerances {
    double latency_increase = 0.20;    // a percentile may grow by this fraction...
    double latency_slack_ms = 5;       // ...plus this much, before it is a regression
    double error_rate_increase = 0.01; // absolute
  } tolerances;
};

// A custom HTTP check from a suite file or [[verify.check]].
struct CustomCheck {
  core::checks::CheckSpec spec;
  std::string path; // as written (the spec's URL joins it to the base URL)
};

struct VerifyOptions {
  Settings settings;
  std::vector<CustomCheck> custom;
  std::filesystem::path suite; // where custom checks came from, for the report
  std::optional<core::Milliseconds> retry_timeout;
  core::Milliseconds retry_interval{2000};
  std::filesystem::path baseline;      // --baseline: compare with
  std::filesystem::path save_baseline; // --save-baseline: write after
};

enum class Status { pass, fail, skip };
std::string_view to_string(Status status);

struct Outcome {
  std::string name; // "health", "rate_limit", or a custom check's name
  bool builtin = true;
  Status status = Status::fail;
  bool critical = true; // a failing warning does not fail the run
  std::string target;   // what was probed (no secrets)
  std::string message;  // pass: what was seen; fail: expected vs seen; skip: why
  core::checks::Reason reason = core::checks::Reason::none;
  double seconds = 0;
  int attempts = 1;
};

// What a baseline file holds (--save-baseline) and what a run is compared
// on (--baseline).
struct Snapshot {
  std::string base_url;
  std::string taken_at; // UTC, RFC 3339
  std::vector<std::pair<std::string, Status>> checks;
  std::optional<double> p50_ms, p95_ms, p99_ms, error_rate;
  std::optional<std::string> migration_version; // the highest applied
  std::optional<std::int64_t> rules_revision;   // the revision Redis holds
};

// One line of a baseline comparison.
struct Comparison {
  std::string what; // "p95", "error_rate", "migration_version", "check health"
  std::string before;
  std::string after;
  std::string allowed; // the tolerance
  bool regressed = false;
};

struct VerifyResult {
  std::string base_url;
  std::vector<Outcome> checks;
  Snapshot snapshot;
  std::optional<core::load::Result> latency; // the burst, when it ran
  std::vector<Comparison> comparisons;       // with --baseline
  std::filesystem::path baseline;
  std::string baseline_url; // the service the baseline was taken against
  std::filesystem::path saved_baseline;
  double seconds = 0;
  int rounds = 1;         // with --retry-timeout: how many times failing checks ran
  int interrupted_by = 0; // SIGINT or SIGTERM ended the run: what ran is reported
  bool passed() const;
};

VerifyResult run_verify(const VerifyOptions& options, core::Context& context);

// 0 every critical check passed; 1 one failed; 3 every failure is a
// dependency that could not be reached (dns, connect, tls, timeout): the
// service down, not wrong. An interrupted run is 128 + the signal.
core::ExitCode exit_code(const VerifyResult& result);

// Built-in checks by name; Error(usage) naming `field` for an unknown one.
std::vector<Builtin> parse_builtins(const std::vector<std::string>& names, std::string_view field);
// A base URL without trailing slashes; Error(usage) naming `field`.
std::string base_url_from(std::string_view text, std::string_view field);

// Settings from the [verify] keys (throws Error(usage) naming the key).
Settings settings_from(const core::config::Config& config);
// The keys of a custom check table.
std::vector<core::config::KeySpec> custom_check_keys();
// [[verify.check]] entries and a suite's [[check]] tables as custom checks.
std::vector<CustomCheck> custom_checks_from(const std::vector<core::config::Entry>& entries,
                                            std::string_view array,
                                            std::string_view base_url);

// A suite file: base_url, checks, skip, slo and [[check]] tables over the
// settings. Throws Error(usage) naming file:line and the key.
void apply_suite(const std::filesystem::path& file,
                 const core::config::Environment& environment,
                 Settings& settings,
                 std::vector<CustomCheck>& custom);

// Baseline files: a JSON snapshot; reading one checks every field.
std::string baseline_json(const Snapshot& snapshot);
Snapshot read_baseline(const std::filesystem::path& file);
std::vector<Comparison>
compare(const Snapshot& before, const Snapshot& after, const Settings::Tolerances& tolerances);

// Checks Prometheus' text exposition format; the first problem, or empty.
std::string prometheus_problem(std::string_view text, const std::vector<std::string>& required);

core::output::Report render(const VerifyResult& result);
// JUnit XML, as CI systems (GitLab, Jenkins, GitHub's test reporters) read it.
std::string junit_xml(const VerifyResult& result);

void add_config_keys();

} // namespace golfops::commands::verify
