#include "commands/verify/builtin.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace golfops::commands::verify {

using core::checks::Reason;

void fail(Outcome& outcome, Reason reason, std::string message) {
  outcome.status = Status::fail;
  outcome.reason = reason;
  outcome.message = std::move(message);
}

std::string excerpt(std::string_view body) {
  std::string line;
  for (char c : body.substr(0, 160)) {
    line.push_back(c == '\n' || c == '\r' || c == '\t'    ? ' '
                   : static_cast<unsigned char>(c) < 0x20 ? '?'
                                                          : c);
  }
  if (body.size() > 160) {
    line += "...";
  }
  return core::redact(line);
}

core::http::Response fetch(const Settings& settings,
                           std::string_view path,
                           std::string_view method,
                           core::http::Headers headers,
                           std::string body) {
  core::http::Request request;
  request.method = std::string(method);
  request.url = settings.base_url + std::string(path);
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.ca_file = settings.ca_file;
  request.total_timeout = settings.timeout;
  request.connect_timeout = std::min(settings.timeout, core::Milliseconds(5000));
  return core::http::perform(request);
}

Outcome outcome_for(Builtin check, const Settings& settings, std::string_view path) {
  Outcome outcome;
  outcome.name = std::string(to_string(check));
  outcome.target = core::redact_url(settings.base_url + std::string(path));
  return outcome;
}

bool failed_transport(Outcome& outcome, const core::http::Response& response) {
  if (response.failure == core::Failure::none) {
    return false;
  }
  fail(outcome, core::checks::reason_for(response.failure), core::redact(response.error));
  return true;
}

Outcome outcome_of(const core::checks::CheckResult& result, std::string name) {
  Outcome outcome;
  outcome.name = std::move(name);
  outcome.target = result.target;
  outcome.status = result.ok ? Status::pass : Status::fail;
  outcome.reason = result.reason;
  outcome.message = result.message;
  return outcome;
}

void fail_with(Outcome& outcome, const core::Error& error) {
  if (error.code() == core::ExitCode::usage) {
    throw; // misconfigured: exit 2, not a failing check (called from a catch)
  }
  fail(outcome,
       error.failure() == core::Failure::none ? Reason::query
                                              : core::checks::reason_for(error.failure()),
       core::redact(error.what()));
}

} // namespace golfops::commands::verify
