#pragma once

#include "core/proc.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace golfops::commands::backup {

// The pg_dump and pg_restore golfops runs for a server: from `bin_dir` when
// set (backup.pg_bin_dir), else Debian's /usr/lib/postgresql/<major>/bin
// for the server's major version, or the oldest newer one installed (a
// newer pg_dump reads an older server; an older one refuses). The real
// binaries, not /usr/bin's Perl wrappers (which add 30-45 ms and pick a
// version of their own).
struct PgTools {
  std::filesystem::path pg_dump;
  std::filesystem::path pg_restore;
  int major = 0;
};

// 15 from "15.18" or "15.18 (Debian 15.18-0+deb12u1)"; 0 when unreadable.
int major_version(std::string_view version);

// Throws Error(failed) naming where it looked and the package to install.
PgTools find_pg_tools(int server_major, const std::filesystem::path& bin_dir);

// How a pg_dump or pg_restore ended, with the last line it wrote to
// stderr: "exited with 1: pg_restore: error: ...".
std::string describe_exit(const core::Child::Exit& exit);

// Throws Error(failed) "<what> <describe_exit>" unless it exited 0.
void require_tool_success(const core::Child::Exit& exit, std::string_view what);

} // namespace golfops::commands::backup
