#pragma once

#include "core/config/config.hpp"
#include "core/output/report.hpp"

#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::config {

struct ShownValue {
  std::string key;
  std::string value;  // secrets redacted
  std::string source; // default | file | env | flag
  std::string origin; // file:line, variable name, flag
};

struct ShowResult {
  std::optional<std::string> file;
  std::string profile;
  std::vector<ShownValue> values;
  std::string database_target; // host:port/dbname as libpq resolves it
  std::vector<std::string> problems;
};

// The effective configuration with the source of each value; every secret
// (URL passwords, password files' contents) is redacted.
ShowResult run_show(const core::config::Config& config);

struct ValidateResult {
  std::optional<std::string> file;
  std::vector<std::string> problems;
};

ValidateResult run_validate(const core::config::Config& config);

core::output::Report render(const ShowResult& result);
core::output::Report render(const ValidateResult& result);

} // namespace golfops::commands::config
