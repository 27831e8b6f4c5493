#include "core/http/client.hpp"

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <curl/curl.h>
#include <fmt/format.h>
#include <memory>
#include <mutex>

namespace golfops::core::http {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const Request* request = nullptr;
  Response response;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool body_too_large = false;

  ~Transfer() {
    curl_slist_free_all(header_list);
    if (easy != nullptr) {
      curl_easy_cleanup(easy);
    }
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->response.body.size() + size * count > transfer->request->max_body_bytes) {
    transfer->body_too_large = true;
    return 0; // libcurl ends the transfer: CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear(); // a new response (100-continue, redirect)
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    transfer->response.headers.emplace_back(line.substr(0, colon), value);
  }
  return size * count;
}

Failure classify(CURLcode code) {
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return Failure::dns;
  case CURLE_COULDNT_CONNECT:
    return Failure::connect;
  case CURLE_OPERATION_TIMEDOUT:
    return Failure::timeout;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
    return Failure::tls;
  case CURLE_LOGIN_DENIED:
    return Failure::auth;
  default:
    return Failure::io; // the connection broke mid-exchange (send, recv, bad framing)
  }
}

void prepare(Transfer& transfer) {
  const auto& request = *transfer.request;
  transfer.easy = curl_easy_init();
  if (transfer.easy == nullptr) {
    throw_failed("cannot create a libcurl handle");
  }
  CURL* easy = transfer.easy;
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  }
  if (!request.body.empty()) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  for (const auto& [name, value] : request.headers) {
    transfer.header_list =
        curl_slist_append(transfer.header_list, fmt::format("{}: {}", name, value).c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list);
  curl_easy_setopt(
      easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, request.verify_tls ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L);
  if (!request.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, request.ca_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_CERTINFO, 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "golfops");
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
}

std::optional<double> certificate_days_left(CURL* easy) {
  curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr ||
      info->num_of_certs == 0) {
    return std::nullopt;
  }
  for (auto* entry = info->certinfo[0]; entry != nullptr; entry = entry->next) {
    std::string_view line(entry->data);
    if (line.starts_with("Expire date:")) {
      auto text = std::string(line.substr(12));
      std::tm parsed{};
      // libcurl's OpenSSL backend writes e.g. "Jan  2 03:04:05 2027 GMT".
      if (strptime(text.c_str(), " %b %d %H:%M:%S %Y GMT", &parsed) != nullptr) {
        auto expires = timegm(&parsed);
        return static_cast<double>(expires - std::time(nullptr)) / 86400.0;
      }
    }
  }
  return std::nullopt;
}

void finish(Transfer& transfer, CURLcode code) {
  auto& response = transfer.response;
  double seconds = 0;
  curl_easy_getinfo(transfer.easy, CURLINFO_TOTAL_TIME, &seconds);
  response.seconds = seconds;
  curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &response.status);
  response.certificate_days_left = certificate_days_left(transfer.easy);
  if (transfer.body_too_large) {
    response.failure = Failure::io;
    response.error = fmt::format("the answer's body is larger than {}, the most golfops reads",
                                 format_size(transfer.request->max_body_bytes));
  } else if (code != CURLE_OK) {
    response.failure = classify(code);
    response.error =
        transfer.error_buffer[0] != '\0' ? transfer.error_buffer : curl_easy_strerror(code);
  }
}

} // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

namespace {

bool is_token(std::string_view text) {
  constexpr std::string_view k_symbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           k_symbols.find(c) != std::string_view::npos;
  });
}

} // namespace

void require_header_name(std::string_view name, std::string_view field) {
  if (!is_token(name)) {
    throw_usage(fmt::format("{}: header name '{}' is not a token (letters, digits and "
                            "!#$%&'*+-.^_`|~; no spaces, colons or line breaks)",
                            field,
                            printable(name) && name.size() <= 60 ? name : "(not shown)"));
  }
}

std::pair<std::string, std::string> parse_header(std::string_view text, std::string_view field) {
  auto colon = text.find(':');
  auto name = text.substr(0, colon);
  if (colon == std::string_view::npos || !is_token(name)) {
    // Only what looks like a name is shown: the rest may be a credential.
    auto shown = text.substr(0, std::min(text.find_first_of(": \t"), std::size_t{60}));
    throw_usage(fmt::format("{}: '{}…' is not 'Name: value' (a header name is a token, then a "
                            "colon; the value is not shown)",
                            field,
                            text.find_first_of(": \t") != std::string_view::npos && is_token(shown)
                                ? shown
                                : "(not shown)"));
  }
  auto value = text.substr(colon + 1);
  value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
  if (!printable(value)) {
    throw_usage(fmt::format(
        "{}: the value of header '{}' has a control character or line break", field, name));
  }
  register_secret(header_secret(name, value));
  return {std::string(name), std::string(value)};
}

void require_http_url(std::string_view url, std::string_view field) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  auto text = std::string(url);
  auto status = curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0);
  char* scheme = nullptr;
  if (status == CURLUE_OK &&
      curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
    std::string name(scheme);
    curl_free(scheme);
    if (name == "http" || name == "https") {
      return;
    }
  }
  throw_usage(
      fmt::format("{}: invalid URL '{}' (expected http:// or https://){}",
                  field,
                  redact_url(url),
                  status == CURLUE_OK ? "" : fmt::format(": {}", curl_url_strerror(status))));
}

bool has_credentials(std::string_view url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  auto text = std::string(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return false;
  }
  for (auto part : {CURLUPART_USER, CURLUPART_PASSWORD}) {
    char* value = nullptr;
    if (curl_url_get(parsed.get(), part, &value, 0) == CURLUE_OK && value != nullptr) {
      bool present = value[0] != '\0';
      curl_free(value);
      if (present) {
        return true;
      }
    }
  }
  return false;
}

Response perform(const Request& request) {
  return perform_all({request}).front();
}

std::vector<Response> perform_all(const std::vector<Request>& requests) {
  global_init();
  std::vector<std::unique_ptr<Transfer>> transfers;
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              &curl_multi_cleanup);
  for (const auto& request : requests) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = &request;
    prepare(*transfer);
    curl_easy_setopt(transfer->easy, CURLOPT_PRIVATE, transfer.get());
    curl_multi_add_handle(multi.get(), transfer->easy);
    transfers.push_back(std::move(transfer));
  }
  int running = 0;
  do {
    curl_multi_perform(multi.get(), &running);
    if (running > 0) {
      // The cancellation pipe as an extra descriptor: SIGINT ends the wait.
      curl_waitfd cancel{Cancellation::process().fd(), CURL_WAIT_POLLIN, 0};
      curl_multi_poll(multi.get(), &cancel, 1, 1000, nullptr);
      Cancellation::process().check();
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
      if (message->msg == CURLMSG_DONE) {
        Transfer* transfer = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
        finish(*transfer, message->data.result);
      }
    }
  } while (running > 0);
  std::vector<Response> responses;
  for (auto& transfer : transfers) {
    curl_multi_remove_handle(multi.get(), transfer->easy);
    responses.push_back(std::move(transfer->response));
  }
  return responses;
}

} // namespace golfops::core::http
