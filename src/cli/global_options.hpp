#pragma once

#include <string>

namespace golfops::cli {

// Options every command accepts (before or after the subcommand name).
struct GlobalOptions {
  std::string config_file;
  std::string profile;
  std::string output = "table";
  std::string log_format; // empty: log.format from config, else text
  bool quiet = false;
  bool verbose = false;
  bool no_color = false;
  bool progress = false;
  std::string database_url;
  std::string redis_url;
};

} // namespace golfops::cli
