#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/proc.hpp"
#include "core/zstd.hpp"
#include "temp_dir.hpp"

#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace golfops::core;
using golfops::test::TempDir;

namespace {

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

} // namespace

TEST_CASE("core::Child streams stdin to stdout and reports the exit") {
  Child child({{"sh", "-c", "cat; echo oops >&2; exit 3"},
               base_environment(),
               {},
               Stdio::to_pipe(),
               Stdio::to_pipe(),
               Stdio::to_pipe()});
  std::string sent(200000, 'x'); // more than a pipe holds
  std::string received;
  // Write and read in turns so neither pipe fills.
  for (std::size_t at = 0; at < sent.size(); at += 4096) {
    CHECK(child.write_stdin(std::string_view(sent).substr(at, 4096)));
    char buffer[65536];
    while (received.size() < at + 1) {
      received.append(buffer, child.read_stdout(buffer, sizeof buffer));
    }
  }
  child.close_stdin();
  char buffer[65536];
  while (auto count = child.read_stdout(buffer, sizeof buffer)) {
    received.append(buffer, count);
  }
  CHECK(received == sent);
  auto exit = child.wait();
  CHECK(exit.exit_code == 3);
  CHECK(exit.stderr_tail == "oops\n");
}

TEST_CASE("core::Child stops its whole process group when abandoned") {
  pid_t grandchild = 0;
  {
    Child child({{"sh", "-c", "sleep 30 & echo $!; wait"}, base_environment()});
    std::string line;
    char buffer[64];
    while (line.find('\n') == std::string::npos) {
      line.append(buffer, child.read_stdout(buffer, sizeof buffer));
    }
    grandchild = std::stoi(line);
    CHECK(alive(grandchild));
  } // destroyed while running, as on an error or cancellation
  for (int attempt = 0; attempt < 200 && alive(grandchild); ++attempt) {
    ::usleep(10000); // reaped by init; wait for the condition, bounded
  }
  CHECK_FALSE(alive(grandchild));
}

TEST_CASE("core::run_process captures output, times out and cannot start a missing program") {
  auto result = run_process(
      {{"sh", "-c", "read x; echo got $x; echo err >&2"}, base_environment(), {}, "hello\n"});
  CHECK(result.exit_code == 0);
  CHECK(result.standard_output == "got hello\n");
  CHECK(result.standard_error == "err\n");
  auto slow = run_process({{"sleep", "5"}, base_environment(), {}, "", Milliseconds(100)});
  CHECK(slow.timed_out);
  CHECK_THROWS_AS(run_process({{"/nonexistent/program"}, base_environment()}), Error);
}

TEST_CASE("core::Cancellation ends waits and stops children") {
  auto& token = Cancellation::process();
  token.reset();
  Child child({{"sleep", "30"}, base_environment(), {}, Stdio::to_null(), Stdio::to_pipe()});
  auto pid = child.pid();
  token.request(SIGINT);
  char buffer[16];
  CHECK_THROWS_AS(child.read_stdout(buffer, sizeof buffer), Cancelled);
  CHECK_THROWS_AS(token.sleep_for(Milliseconds(10000)), Cancelled);
  token.reset();
  child.signal_group(SIGKILL);
  auto exit = child.wait();
  CHECK(exit.signal == SIGKILL);
  CHECK_FALSE(alive(pid));
  try {
    token.request(SIGTERM);
    token.check();
    FAIL("no Cancelled");
  } catch (const Cancelled& cancelled) {
    CHECK(cancelled.code() == ExitCode::terminated);
  }
  token.reset();
}

TEST_CASE("core::AtomicFile") {
  TempDir dir;
  SUBCASE("owner-only by default, visible only after commit") {
    AtomicFile file(dir / "backup.zst");
    file.write("part one ");
    file.write("part two");
    CHECK_FALSE(std::filesystem::exists(dir / "backup.zst"));
    struct stat info {};
    REQUIRE(::stat(file.temporary_path().c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    file.commit();
    CHECK(read_file(dir / "backup.zst", "test") == "part one part two");
    CHECK(file.bytes_written() == 17);
  }
  SUBCASE("a writer that throws leaves nothing behind, and the old file intact") {
    atomic_write(dir / "state", "old");
    try {
      AtomicFile file(dir / "state");
      file.write("half");
      throw Error(ExitCode::failed, "cancelled midway");
    } catch (const Error&) {
    }
    CHECK(read_file(dir / "state", "test") == "old");
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      ++entries;
    }
    CHECK(entries == 1);
  }
}

TEST_CASE("core::Sha256 streams to the one-shot digest") {
  Sha256 digest;
  digest.update("hello ");
  digest.update("world");
  CHECK(digest.hex_digest() == sha256_hex("hello world"));
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("core::ZstdCompressor round trip, multithreaded; truncation detected") {
  std::string input;
  for (int line = 0; input.size() < 3'000'000; ++line) {
    input += "INSERT INTO game_events VALUES (" + std::to_string(line) + ", 'move');\n";
  }
  std::string compressed;
  ZstdCompressor compressor(3, 2);
  for (std::size_t at = 0; at < input.size(); at += 100000) {
    compressor.write(std::string_view(input).substr(at, 100000),
                     [&](std::string_view out) { compressed += out; });
  }
  compressor.finish([&](std::string_view out) { compressed += out; });
  CHECK(compressed.size() < input.size() / 10);
  std::string output;
  ZstdDecompressor decompressor;
  decompressor.write(compressed, [&](std::string_view out) { output += out; });
  decompressor.finish();
  CHECK(output == input);

  ZstdDecompressor truncated;
  truncated.write(std::string_view(compressed).substr(0, compressed.size() / 2),
                  [](std::string_view) {});
  CHECK_THROWS_AS(truncated.finish(), Error);
}

TEST_CASE("core::format_utc is UTC whatever TZ says") {
  const char* saved = std::getenv("TZ");
  std::string previous = saved != nullptr ? saved : "";
  ::setenv("TZ", "America/New_York", 1);
  ::tzset();
  // 2026-11-25T13:32:51.250Z
  auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795613571250LL));
  CHECK(format_utc(time) == "2026-11-25T13:32:51Z");
  CHECK(format_utc_milliseconds(time) == "2026-11-25T13:32:51.250Z");
  if (saved != nullptr) {
    ::setenv("TZ", previous.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}
