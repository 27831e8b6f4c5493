#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/proc.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace golfops::core;
using golfops::test::TempDir;

TEST_CASE("core::atomic_write") {
  TempDir dir;
  auto target = dir / "out.txt";
  SUBCASE("writes and replaces with the requested mode") {
    atomic_write(target, "first", 0600);
    CHECK(read_file(target, "f") == "first");
    struct stat info {};
    REQUIRE(::stat(target.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    atomic_write(target, "second", 0644);
    CHECK(read_file(target, "f") == "second");
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      ++entries;
    }
    CHECK(entries == 1); // no temp file left behind
  }
  SUBCASE("a failed write leaves the old file") {
    atomic_write(target, "keep", 0644);
    CHECK_THROWS_AS(atomic_write(dir / "missing-dir" / "x", "y"), Error);
    CHECK(read_file(target, "f") == "keep");
  }
}

TEST_CASE("core::read_file names the field") {
  try {
    read_file("/nonexistent/golfops", "database.password_file");
    FAIL("read a missing file");
  } catch (const Error& error) {
    CHECK(error.code() == ExitCode::usage);
    CHECK(std::string(error.what()).find("database.password_file") != std::string::npos);
  }
}

TEST_CASE("core::read_file reads whole files, empty and larger than its buffer") {
  TempDir dir;
  atomic_write(dir / "empty", "", 0644);
  CHECK(read_file(dir / "empty", "f").empty());
  std::string big(200 * 1024 + 7, 'x');
  big[100000] = '\0'; // binary-safe
  atomic_write(dir / "big", big, 0644);
  CHECK(read_file(dir / "big", "f") == big);
  // Reports size 0 and grows while read.
  CHECK(read_file("/proc/self/status", "f").find("\nPid:") != std::string::npos);
  CHECK_THROWS_WITH_AS(read_file(dir / "missing", "migrate.dir"),
                       doctest::Contains("migrate.dir: cannot read"),
                       Error);
  CHECK_THROWS_WITH_AS(read_file(dir.path(), "f"), doctest::Contains("is a directory"), Error);
  // What never ends stops at the cap; a FIFO nobody writes reads as empty
  // instead of hanging.
  CHECK_THROWS_WITH_AS(read_file("/dev/zero", "--body-file"),
                       "--body-file: '/dev/zero' grew past 256.0 MiB while being read",
                       Error);
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK(read_file(dir / "fifo", "f").empty());
}

TEST_CASE("core::FileLock") {
  TempDir dir;
  auto path = dir / "lock";
  {
    FileLock held(path, std::chrono::milliseconds(0));
    // Another process cannot take it while we hold it.
    pid_t child = ::fork();
    if (child == 0) {
      try {
        FileLock second(path, std::chrono::milliseconds(50));
        ::_exit(0);
      } catch (const Error& error) {
        ::_exit(error.code() == ExitCode::refused ? 4 : 1);
      }
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WEXITSTATUS(status) == 4);
  }
  // Released on destruction.
  FileLock again(path, std::chrono::milliseconds(0));
}

TEST_CASE("core::run_process") {
  SUBCASE("explicit environment only") {
    ::setenv("GOLFOPS_TEST_LEAK", "should-not-pass", 1);
    ProcessSpec spec{{"/bin/sh", "-c", "echo \"[$GOLFOPS_TEST_LEAK][$MINE]\""},
                     {"MINE=yes", "PATH=/usr/bin:/bin"}};
    auto result = run_process(spec);
    CHECK(result.exit_code == 0);
    CHECK(result.standard_output == "[][yes]\n");
  }
  SUBCASE("stdin, stderr and exit code") {
    ProcessSpec spec{{"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}, base_environment()};
    spec.standard_input = std::string(200000, 'x');
    auto result = run_process(spec);
    CHECK(result.exit_code == 3);
    CHECK(result.standard_output.size() == 200000);
    CHECK(result.standard_error == "oops\n");
  }
  SUBCASE("timeout kills") {
    ProcessSpec spec{{"/bin/sleep", "10"}, base_environment()};
    spec.timeout = std::chrono::milliseconds(100);
    auto result = run_process(spec);
    CHECK(result.timed_out);
    CHECK(result.exit_code == 128 + 9);
  }
  SUBCASE("a missing program is an error") {
    CHECK_THROWS_AS(run_process({{"/nonexistent/program"}, {}}), Error);
  }
}
