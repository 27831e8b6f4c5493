#include "commands/backup/pg_tools.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <charconv>
#include <fmt/format.h>
#include <unistd.h>

namespace golfops::commands::backup {
namespace {

constexpr const char* k_debian_root = "/usr/lib/postgresql";

bool executable(const std::filesystem::path& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

} // namespace

std::string describe_exit(const core::Child::Exit& exit) {
  // The line that says why: pg_restore's "error:" line (its last lines are
  // the statement it ran), else the last line.
  std::string tail;
  for (const auto& line : core::split(exit.stderr_tail, '\n')) {
    if (line.find("error:") != std::string::npos) {
      tail = line;
      break;
    }
    if (!line.empty()) {
      tail = line;
    }
  }
  while (!tail.empty() && tail.back() == ' ') {
    tail.pop_back();
  }
  auto how = exit.signal != 0 ? fmt::format("was killed by signal {}", exit.signal)
                              : fmt::format("exited with {}", exit.exit_code);
  return tail.empty() ? how : fmt::format("{}: {}", how, tail);
}

void require_tool_success(const core::Child::Exit& exit, std::string_view what) {
  if (exit.exit_code != 0) {
    core::throw_failed(fmt::format("{} {}", what, describe_exit(exit)));
  }
}

int major_version(std::string_view version) {
  int major = 0;
  std::from_chars(version.data(), version.data() + version.size(), major);
  return major;
}

PgTools find_pg_tools(int server_major, const std::filesystem::path& bin_dir) {
  if (!bin_dir.empty()) {
    PgTools tools{bin_dir / "pg_dump", bin_dir / "pg_restore", server_major};
    for (const auto& program : {tools.pg_dump, tools.pg_restore}) {
      if (!executable(program)) {
        core::throw_usage(
            fmt::format("backup.pg_bin_dir: {} is not an executable program", program.string()));
      }
    }
    return tools;
  }
  for (int major = server_major; major < server_major + 10; ++major) {
    auto bin = std::filesystem::path(k_debian_root) / std::to_string(major) / "bin";
    if (executable(bin / "pg_dump") && executable(bin / "pg_restore")) {
      return {bin / "pg_dump", bin / "pg_restore", major};
    }
  }
  core::throw_failed(fmt::format(
      "no pg_dump for PostgreSQL {0} or newer: looked in {1}/{0}/bin and later versions; install "
      "postgresql-client-{0}, or set backup.pg_bin_dir to the directory holding pg_dump and "
      "pg_restore",
      server_major,
      k_debian_root));
}

} // namespace golfops::commands::backup
