#include "commands/version/version.hpp"

#include "build_info.hpp"
#include "core/zstd.hpp"

#include <CLI/Version.hpp>
#include <curl/curl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <toml++/impl/version.h>

namespace golfops::commands::version {

std::string golfops_version() {
  return fmt::format("{} ({})", build_info::k_version, build_info::k_commit);
}

VersionResult run_version() {
  VersionResult result;
  result.version = build_info::k_version;
  result.commit = build_info::k_commit;
  int libpq = PQlibVersion();
  result.libraries = {
      {"libpq", fmt::format("{}.{}", libpq / 10000, libpq % 10000)},
      {"hiredis", fmt::format("{}.{}.{}", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH)},
      {"libcurl", curl_version_info(CURLVERSION_NOW)->version},
      {"openssl", OpenSSL_version(OPENSSL_VERSION)},
      {"zstd", core::zstd_version()},
      {"fmt",
       fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      {"toml++", fmt::format("{}.{}.{}", TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH)},
      {"nlohmann_json",
       fmt::format("{}.{}.{}",
                   NLOHMANN_JSON_VERSION_MAJOR,
                   NLOHMANN_JSON_VERSION_MINOR,
                   NLOHMANN_JSON_VERSION_PATCH)},
      {"CLI11", CLI11_VERSION},
  };
  return result;
}

core::output::Report render(const VersionResult& result) {
  core::output::Report report;
  report.json = {{"version", result.version}, {"commit", result.commit}};
  auto& libraries = report.json["libraries"] = nlohmann::json::object();
  core::output::Table table({"component", "version"});
  table.add_row({{"golfops"}, {fmt::format("{} ({})", result.version, result.commit)}});
  for (const auto& [name, version] : result.libraries) {
    libraries[name] = version;
    table.add_row({{name}, {version}});
  }
  report.tables.push_back(std::move(table));
  return report;
}

} // namespace golfops::commands::version
