#include "core/error.hpp"
#include "core/http/client.hpp"
#include "core/load/plan.hpp"
#include "core/load/wire.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <charconv>
#include <curl/curl.h>
#include <fmt/format.h>
#include <memory>

namespace golfops::core::load {
namespace {

// One part of a parsed URL, or "" when it has none.
std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) {
    return "";
  }
  std::string text(value);
  curl_free(value);
  return text;
}

bool has_header(const Headers& headers, std::string_view name) {
  for (const auto& [header, value] : headers) {
    if (iequals(header, name)) {
      return true;
    }
  }
  return false;
}

} // namespace

std::pair<Origin, std::string> split_url(std::string_view url, std::string_view field) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  auto text = std::string(url);
  auto status = curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0);
  auto scheme = status == CURLUE_OK ? url_part(parsed.get(), CURLUPART_SCHEME) : "";
  if (scheme != "http" && scheme != "https") {
    throw_usage(
        fmt::format("{}: '{}' is not an http:// or https:// URL{}",
                    field,
                    redact_url(url),
                    status == CURLUE_OK ? "" : fmt::format(" ({})", curl_url_strerror(status))));
  }
  if (http::has_credentials(url)) {
    throw_usage(fmt::format("{}: credentials in the URL are not sent; use --header "
                            "'Authorization: ...' instead",
                            field));
  }
  Origin origin;
  origin.tls = scheme == "https";
  origin.host = url_part(parsed.get(), CURLUPART_HOST);
  if (origin.host.size() > 2 && origin.host.front() == '[') {
    origin.host = origin.host.substr(1, origin.host.size() - 2);
  }
  auto port = url_part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::from_chars(port.data(), port.data() + port.size(), origin.port);
  auto target = url_part(parsed.get(), CURLUPART_PATH);
  auto query = url_part(parsed.get(), CURLUPART_QUERY);
  if (target.empty()) {
    target.push_back('/');
  }
  if (!query.empty()) {
    target = fmt::format("{}?{}", target, query);
  }
  return {origin, target};
}

std::string encode_request(const RequestSpec& request,
                           const Origin& origin,
                           std::string_view user_agent,
                           bool keepalive) {
  auto host =
      origin.host.find(':') != std::string::npos ? fmt::format("[{}]", origin.host) : origin.host;
  bool default_port = origin.port == (origin.tls ? 443 : 80);
  std::string bytes = fmt::format("{} {} HTTP/1.1\r\n", request.method, request.target);
  if (!has_header(request.headers, "Host")) {
    bytes += default_port ? fmt::format("Host: {}\r\n", host)
                          : fmt::format("Host: {}:{}\r\n", host, origin.port);
  }
  if (!has_header(request.headers, "User-Agent")) {
    bytes += fmt::format("User-Agent: {}\r\n", user_agent);
  }
  if (!has_header(request.headers, "Accept")) {
    bytes += "Accept: */*\r\n";
  }
  for (const auto& [name, value] : request.headers) {
    bytes += fmt::format("{}: {}\r\n", name, value);
  }
  bool sends_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                    request.method == "PATCH";
  if (sends_body && !has_header(request.headers, "Content-Length")) {
    bytes += fmt::format("Content-Length: {}\r\n", request.body.size());
  }
  if (!keepalive) {
    bytes += "Connection: close\r\n";
  }
  bytes += "\r\n";
  bytes += request.body;
  return bytes;
}

} // namespace golfops::core::load
