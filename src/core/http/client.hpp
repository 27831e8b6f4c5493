#pragma once

#include "core/error.hpp"
#include "core/units.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace golfops::core::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  Milliseconds connect_timeout{5000};
  Milliseconds total_timeout{10000};
  bool follow_redirects = false; // a redirect is an answer worth seeing, not following
  bool verify_tls = true;
  std::string ca_file; // empty: the system trust store
  // A larger body ends the transfer as a failure: probes read answers
  // whole, and a misbehaving endpoint must not exhaust memory.
  std::size_t max_body_bytes = 16 << 20;
};

// Why a request got no HTTP answer: core::Failure, typed from libcurl's code.
using Failure = core::Failure;

struct Response {
  Failure failure = Failure::none;
  std::string error; // set when failure != none
  long status = 0;
  Headers headers; // of the final response, names as sent
  std::string body;
  double seconds = 0; // total time
  // Days until the server certificate expires (https only).
  std::optional<double> certificate_days_left;

  // The first header named `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

// A header from the command line ("Name: value"), its credential
// registered for redaction. The name must be an RFC 9110 token and the value
// one printable line; a refusal names `field` but never shows the value.
std::pair<std::string, std::string> parse_header(std::string_view text, std::string_view field);

// Throws Error(usage) naming `field` unless `name` is an RFC 9110 token
// (what a header name may be: no spaces, colons or line breaks).
void require_header_name(std::string_view name, std::string_view field);

// Throws Error(usage) naming `field` unless `url` is an http:// or https:// URL
// libcurl can parse.
void require_http_url(std::string_view url, std::string_view field);

// Whether `url` carries a user or password ("https://user:pw@host/"): they
// would show in process lists and logs, so commands refuse them.
bool has_credentials(std::string_view url);

// Runs one request. Transport failures are returned, not thrown.
Response perform(const Request& request);

// Runs all requests at once over libcurl's multi interface; responses in order.
std::vector<Response> perform_all(const std::vector<Request>& requests);

} // namespace golfops::core::http
