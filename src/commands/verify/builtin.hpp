#pragma once

#include "commands/verify/verify.hpp"
#include "core/http/client.hpp"

#include <optional>
#include <string>

namespace golfops::commands::verify {

// What the checks learned that a baseline keeps.
struct Facts {
  std::optional<std::string> migration_version;
  std::optional<std::int64_t> rules_revision;
  std::optional<core::load::Result> latency;
};

// Why a built-in check does not apply to this target (nothing configured
// for it), or nullopt when it does.
std::optional<std::string> not_applicable(Builtin check, const Settings& settings);

// Runs one built-in check. A misconfiguration throws Error(usage); every
// other failure is the outcome's.
Outcome run_builtin(Builtin check, const Settings& settings, core::Context& context, Facts& facts);

// The families of checks (one file each).
Outcome check_endpoint(Builtin check, const Settings& settings);
Outcome check_metrics(const Settings& settings);
Outcome check_headers(const Settings& settings);
Outcome check_version(const Settings& settings);
Outcome check_tls(const Settings& settings, core::Context& context);
Outcome check_migrations(core::Context& context, Facts& facts);
Outcome check_rules(core::Context& context, Facts& facts);
Outcome check_backup(const Settings& settings, core::Context& context);
Outcome check_rate_limit(const Settings& settings, core::Context& context);
Outcome check_latency(const Settings& settings, Facts& facts);

// One request to the service under test.
core::http::Response fetch(const Settings& settings,
                           std::string_view path,
                           std::string_view method = "GET",
                           core::http::Headers headers = {},
                           std::string body = {});

// An outcome for `check` at `path`, failed with the transport error when the
// response has one (then the caller stops).
Outcome outcome_for(Builtin check, const Settings& settings, std::string_view path);
bool failed_transport(Outcome& outcome, const core::http::Response& response);
void fail(Outcome& outcome, core::checks::Reason reason, std::string message);
// A core check's result (tls, backup, a suite's HTTP check) as an outcome.
Outcome outcome_of(const core::checks::CheckResult& result, std::string name);
// A client's failure as the outcome's: unreachable, or the query's. Called
// from a catch block: a usage error (misconfiguration) is rethrown, exit 2.
void fail_with(Outcome& outcome, const core::Error& error);
// The start of a body for a message: one line, at most 160 characters.
std::string excerpt(std::string_view body);

} // namespace golfops::commands::verify
