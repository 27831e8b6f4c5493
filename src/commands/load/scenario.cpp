#include "commands/load/scenario.hpp"

#include "core/config/toml_document.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/http/client.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <set>
#include <toml++/toml.h>

namespace golfops::commands::load {
namespace {

constexpr std::array<std::string_view, 3> k_top_keys{"base_url", "headers", "request"};
constexpr std::array<std::string_view, 9> k_request_keys{
    "name", "method", "path", "url", "weight", "headers", "body", "body_file", "expect_status"};

template <std::size_t N>
void refuse_unknown(const toml::table& table,
                    const std::array<std::string_view, N>& known,
                    std::string_view where) {
  for (const auto& [key, value] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      auto close = core::closest_match(key.str(), std::span<const std::string_view>(known));
      core::throw_usage(
          fmt::format("{}: unknown key '{}'{}",
                      where,
                      key.str(),
                      close.empty() ? fmt::format(" (expected one of {})", fmt::join(known, ", "))
                                    : fmt::format(" (did you mean '{}'?)", close)));
    }
  }
}

core::load::Headers headers_of(const toml::node* node, std::string_view where) {
  core::load::Headers headers;
  if (node == nullptr) {
    return headers;
  }
  const auto* table = node->as_table();
  if (table == nullptr) {
    core::throw_usage(fmt::format("{}: headers must be a table, e.g. headers = {{ Accept = "
                                  "\"application/json\" }}",
                                  where));
  }
  for (const auto& [name, value] : *table) {
    core::http::require_header_name(name.str(), where);
    auto text = value.value<std::string>();
    if (!text || !core::printable(*text)) {
      core::throw_usage(
          fmt::format("{}: header '{}' must have a text value on one line", where, name.str()));
    }
    core::register_secret(core::header_secret(name.str(), *text));
    headers.emplace_back(std::string(name.str()), *text);
  }
  return headers;
}

} // namespace

std::vector<int> parse_statuses(std::string_view text, std::string_view field) {
  std::vector<int> statuses;
  for (const auto& part : core::split(text, ',')) {
    auto status = core::parse_count(part, field, 100);
    if (status > 599) {
      core::throw_usage(fmt::format("{}: '{}' is not an HTTP status (100 to 599)", field, part));
    }
    statuses.push_back(static_cast<int>(status));
  }
  return statuses;
}

Scenario read_scenario(const std::filesystem::path& file) {
  // Messages name the flag, then the place: "--scenario: launch.toml:12: request 2: ...".
  auto source = fmt::format("--scenario: {}", file.string());
  auto text = core::read_file(file, "--scenario");
  auto document = core::config::parse_toml(text, file.string(), source);
  refuse_unknown(document, k_top_keys, source);
  auto base_url = document["base_url"].value<std::string>();
  auto shared_headers = headers_of(document.get("headers"), source);
  const auto* array = document["request"].as_array();
  if (array == nullptr || array->empty()) {
    core::throw_usage(
        fmt::format("{}: no [[request]] tables (each names a path and a weight)", source));
  }
  Scenario scenario;
  std::optional<std::string> origin_text;
  std::set<std::string> names;
  for (std::size_t index = 0; index < array->size(); ++index) {
    const auto* table = (*array)[index].as_table();
    auto line = (*array)[index].source().begin.line;
    auto where = fmt::format("{}:{}: request {}", source, line, index + 1);
    if (table == nullptr) {
      core::throw_usage(fmt::format("{}: not a table", where));
    }
    refuse_unknown(*table, k_request_keys, where);
    auto text_of = [&](std::string_view key) -> std::optional<std::string> {
      const auto* node = table->get(key);
      if (node == nullptr) {
        return std::nullopt;
      }
      auto value = node->value<std::string>();
      if (!value) {
        core::throw_usage(fmt::format("{}: {} must be a text", where, key));
      }
      return value;
    };
    core::load::RequestSpec request;
    request.method = text_of("method").value_or("GET");
    std::transform(request.method.begin(), request.method.end(), request.method.begin(), ::toupper);
    if (request.method.empty() ||
        request.method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
      core::throw_usage(
          fmt::format("{}: method '{}' is not an HTTP method", where, request.method));
    }
    auto path = text_of("path");
    auto url = text_of("url");
    if (path && url) {
      core::throw_usage(fmt::format("{}: path and url both given (give one)", where));
    }
    if (!path && !url) {
      core::throw_usage(fmt::format("{}: path is missing (e.g. path = \"/api/games\")", where));
    }
    if (path) {
      if (!base_url) {
        core::throw_usage(fmt::format(
            "{}: path '{}' needs base_url at the top of the file (or give url)", where, *path));
      }
      if (!path->starts_with('/')) {
        core::throw_usage(fmt::format("{}: path '{}' must start with /", where, *path));
      }
      auto base = *base_url;
      while (base.ends_with('/')) {
        base.pop_back();
      }
      url = base + *path;
    }
    auto [origin, target] = core::load::split_url(*url, fmt::format("{}: url", where));
    auto this_origin =
        fmt::format("{}://{}:{}", origin.tls ? "https" : "http", origin.host, origin.port);
    if (origin_text && *origin_text != this_origin) {
      core::throw_usage(fmt::format("{}: {} is not {}, the origin of the requests before it: a "
                                    "run loads one origin (run one per origin and merge)",
                                    where,
                                    this_origin,
                                    *origin_text));
    }
    origin_text = this_origin;
    scenario.origin = origin;
    request.target = target;
    for (const auto& secret : core::url_secrets(*url)) {
      core::register_secret(secret);
    }
    request.name = text_of("name").value_or(fmt::format(
        "{} {}", request.method, core::load::split_url(core::redact_url(*url), "url").second));
    if (!names.insert(request.name).second) {
      core::throw_usage(fmt::format(
          "{}: name '{}' is used twice (names key the per-request results)", where, request.name));
    }
    if (const auto* weight = table->get("weight")) {
      auto value = weight->value_exact<std::int64_t>();
      if (!value || *value < 1 || *value > 1000000) {
        core::throw_usage(
            fmt::format("{}: weight must be a whole number from 1 to 1000000", where));
      }
      request.weight = static_cast<unsigned>(*value);
    }
    request.headers = shared_headers;
    for (auto& header : headers_of(table->get("headers"), where)) {
      auto same = std::find_if(request.headers.begin(), request.headers.end(), [&](const auto& h) {
        return core::iequals(h.first, header.first);
      });
      if (same != request.headers.end()) {
        same->second = header.second; // the request's own wins over the file's
      } else {
        request.headers.push_back(std::move(header));
      }
    }
    auto body = text_of("body");
    auto body_file = text_of("body_file");
    if (body && body_file) {
      core::throw_usage(fmt::format("{}: body and body_file both given (give one)", where));
    }
    if (body_file) {
      auto path_of_body = std::filesystem::path(*body_file);
      if (path_of_body.is_relative()) {
        path_of_body = file.parent_path() / path_of_body; // beside the scenario
      }
      request.body = core::read_file(path_of_body, fmt::format("{}: body_file", where));
    } else {
      request.body = body.value_or("");
    }
    if (const auto* expect = table->get("expect_status")) {
      auto field = fmt::format("{}: expect_status", where);
      if (auto single = expect->value_exact<std::int64_t>()) {
        request.expect_status = parse_statuses(std::to_string(*single), field);
      } else if (const auto* list = expect->as_array()) {
        for (const auto& item : *list) {
          auto status = item.value_exact<std::int64_t>();
          if (!status) {
            core::throw_usage(fmt::format("{}: must be a status or a list of them", field));
          }
          auto parsed = parse_statuses(std::to_string(*status), field);
          request.expect_status.push_back(parsed.front());
        }
      } else {
        core::throw_usage(fmt::format("{}: must be a status or a list of them", field));
      }
    }
    scenario.requests.push_back(std::move(request));
  }
  return scenario;
}

} // namespace golfops::commands::load
