#include "commands/verify/verify.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace golfops::commands::verify;

TEST_CASE("verify: Prometheus text is checked line by line, naming the line") {
  const std::string good =
      "# HELP up 1 when up.\n"
      "# TYPE up gauge\n"
      "up 1\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"GET\",path=\"/a \\\"b\\\"\"} 12 1700000000000\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{le=\"+Inf\",} 3\n"
      "latency_seconds_sum 0.25\n"
      "latency_seconds_count 3\n"
      "nan_gauge NaN\n";
  CHECK(prometheus_problem(good, {}).empty());
  CHECK(prometheus_problem(good, {"http_requests_total", "latency_seconds", "up"}).empty());
  CHECK(prometheus_problem(good, {"golf_api_http_requests_total"}) ==
        "metric golf_api_http_requests_total missing (6 samples of 6 other metrics)");
  CHECK(prometheus_problem("", {}).starts_with("no samples"));
  CHECK(prometheus_problem("# only a comment\n", {}).starts_with("no samples"));
  CHECK(prometheus_problem("up one\n", {}) == "line 1: 'one' is not a number: 'up one'");
  CHECK(prometheus_problem("up 1\n9lives 2\n", {}) == "line 2: expected a metric name: '9lives 2'");
  CHECK(prometheus_problem("up{a=b} 1\n", {}).starts_with("line 1: expected a quoted value"));
  CHECK(prometheus_problem("up{a=\"b} 1\n", {}).starts_with("line 1: unterminated value"));
  CHECK(prometheus_problem("up{a=\"\\x\"} 1\n", {}).starts_with("line 1: invalid escape"));
  CHECK(prometheus_problem("up 1 soon\n", {}).starts_with("line 1: 'soon' is not a timestamp"));
  CHECK(prometheus_problem("# TYPE up meter\nup 1\n", {})
            .starts_with("line 1: unknown type 'meter'"));
  CHECK(prometheus_problem("up 1\n# TYPE up gauge\n", {}) ==
        "line 2: TYPE for up after its samples: '# TYPE up gauge'");
  CHECK(prometheus_problem("# TYPE up gauge\n# TYPE up gauge\nup 1\n", {})
            .starts_with("line 2: second TYPE line for up"));
  CHECK(prometheus_problem("<html>metrics</html>\n", {})
            .starts_with("line 1: expected a metric name"));
}

TEST_CASE("verify: built-in checks by name, with a suggestion for a typo") {
  CHECK(parse_builtins({"health", "rate_limit", "health"}, "--check") ==
        std::vector<Builtin>{Builtin::health, Builtin::rate_limit});
  CHECK(every_builtin().size() == 11);
  for (auto check : every_builtin()) {
    CHECK(parse_builtin(to_string(check)) == check);
  }
  try {
    parse_builtins({"ratelimit"}, "--check");
    FAIL("accepted an unknown check");
  } catch (const golfops::core::Error& error) {
    CHECK(error.code() == golfops::core::ExitCode::usage);
    CHECK(std::string(error.what())
              .starts_with("--check: unknown check 'ratelimit', did you mean 'rate_limit'?"));
  }
  CHECK(base_url_from("https://api.example.com//", "--base-url") == "https://api.example.com");
  CHECK(base_url_from("http://127.0.0.1:8000/prefix/", "--base-url") ==
        "http://127.0.0.1:8000/prefix");
  CHECK_THROWS_AS(base_url_from("http://h/?a=1", "--base-url"), golfops::core::Error);
  CHECK_THROWS_AS(base_url_from("ftp://h/", "--base-url"), golfops::core::Error);
}

TEST_CASE("verify: a baseline round-trips and regressions are judged by the tolerances") {
  golfops::test::TempDir dir;
  Snapshot before;
  before.base_url = "http://127.0.0.1:8000";
  before.taken_at = "2026-11-26T06:00:00Z";
  before.checks = {{"health", Status::pass}, {"ready", Status::pass}, {"tls", Status::skip}};
  before.p50_ms = 10;
  before.p95_ms = 20;
  before.p99_ms = 40;
  before.error_rate = 0.001;
  before.migration_version = "0005";
  before.rules_revision = 3;
  golfops::core::atomic_write(dir / "before.json", baseline_json(before));
  auto read = read_baseline(dir / "before.json");
  CHECK(read.base_url == before.base_url);
  CHECK(read.checks == before.checks);
  CHECK(read.p95_ms == 20);
  CHECK(read.migration_version == "0005");
  CHECK(read.rules_revision == 3);

  Settings::Tolerances tolerances; // +20% +5ms, error rate +1 point
  auto after = before;
  after.p50_ms = 16.9; // 10 * 1.2 + 5 = 17: within
  after.p95_ms = 29.1; // 20 * 1.2 + 5 = 29: over
  after.p99_ms = 1;    // faster is never a regression
  after.error_rate = 0.0105;
  after.migration_version = "0006"; // forward: expected after a deploy
  after.rules_revision = 2;         // Redis lost the newer rules
  after.checks = {{"health", Status::pass}, {"ready", Status::fail}, {"tls", Status::skip}};
  auto comparisons = compare(before, after, tolerances);
  std::vector<std::string> regressed;
  for (const auto& comparison : comparisons) {
    if (comparison.regressed) {
      regressed.push_back(comparison.what);
    }
  }
  CHECK(regressed == std::vector<std::string>{"check ready", "p95", "rules_revision"});

  after.migration_version = "0004";
  after.error_rate = 0.02;
  regressed.clear();
  for (const auto& comparison : compare(before, after, tolerances)) {
    if (comparison.regressed) {
      regressed.push_back(comparison.what);
    }
  }
  CHECK(regressed ==
        std::vector<std::string>{
            "check ready", "p95", "error_rate", "migration_version", "rules_revision"});
  // Numeric versions compare as numbers, not text.
  before.migration_version = "9";
  after.migration_version = "10";
  for (const auto& comparison : compare(before, after, tolerances)) {
    if (comparison.what == "migration_version") {
      CHECK_FALSE(comparison.regressed);
    }
  }

  golfops::core::atomic_write(dir / "other.json",
                              "{\"format\":\"golfops-verify-baseline\",\"version\":2}");
  CHECK_THROWS_WITH(read_baseline(dir / "other.json"), doctest::Contains("version 2 (expected 1)"));
  golfops::core::atomic_write(dir / "broken.json",
                              "{\"format\":\"golfops-verify-baseline\",\"version\":1}");
  CHECK_THROWS_WITH(read_baseline(dir / "broken.json"),
                    doctest::Contains("broken.json: base_url: expected it to be there"));
}

TEST_CASE("verify: JUnit XML escapes every message and marks failures, skips and warnings") {
  VerifyResult result;
  result.base_url = "http://h/?a=1&b=<2>";
  result.seconds = 1.5;
  Outcome pass{.name = "health", .status = Status::pass, .seconds = 0.01};
  Outcome failed{.name = "headers",
                 .status = Status::fail,
                 .target = "http://h/health",
                 .message = "X-Frame-Options is '\"<x>\"' & \x01 more",
                 .reason = golfops::core::checks::Reason::header};
  Outcome skipped{.name = "tls", .status = Status::skip, .message = "the base URL is http"};
  Outcome warned{.name = "docs",
                 .builtin = false,
                 .status = Status::fail,
                 .critical = false,
                 .message = "expected status 200, got 404"};
  result.checks = {pass, failed, skipped, warned};
  auto xml = junit_xml(result);
  CHECK(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
  CHECK(xml.find("tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\"") != std::string::npos);
  CHECK(xml.find("value=\"http://h/?a=1&amp;b=&lt;2&gt;\"") != std::string::npos);
  CHECK(xml.find("<failure message=\"X-Frame-Options is &apos;&quot;&lt;x&gt;&quot;&apos; &amp; ? "
                 "more\" type=\"header\">") != std::string::npos);
  CHECK(xml.find("<skipped message=\"the base URL is http\"/>") != std::string::npos);
  CHECK(xml.find("classname=\"golfops.verify.suite\" name=\"docs\"") != std::string::npos);
  CHECK(xml.find("<system-out>warning: expected status 200, got 404</system-out>") !=
        std::string::npos);
  CHECK(xml.find('\x01') == std::string::npos);
  CHECK(result.passed() == false);
  CHECK(exit_code(result) == golfops::core::ExitCode::failed);
}

TEST_CASE("verify: exit 3 when every failure is a dependency that could not be reached") {
  VerifyResult result;
  Outcome refused{
      .name = "health", .status = Status::fail, .reason = golfops::core::checks::Reason::connect};
  Outcome skipped{.name = "tls", .status = Status::skip};
  result.checks = {refused, skipped};
  CHECK(exit_code(result) == golfops::core::ExitCode::unreachable);
  result.checks.push_back({.name = "migrations", .status = Status::pass});
  CHECK(exit_code(result) == golfops::core::ExitCode::unreachable);
  result.checks.push_back(
      {.name = "headers", .status = Status::fail, .reason = golfops::core::checks::Reason::header});
  CHECK(exit_code(result) == golfops::core::ExitCode::failed);
  result.checks = {{.name = "health", .status = Status::pass}, skipped};
  CHECK(exit_code(result) == golfops::core::ExitCode::ok);
}

TEST_CASE("verify: Prometheus text allows blanks between tokens, trailing blanks and CRLF") {
  CHECK(prometheus_problem("x   1\n", {}).empty());
  CHECK(prometheus_problem("x\t1\n", {}).empty());
  CHECK(prometheus_problem("x 1 \n", {}).empty());
  CHECK(prometheus_problem("x 1\t1700000000000 \n", {}).empty());
  CHECK(prometheus_problem("x{ a = \"b\" , c=\"d\" }   1\n", {}).empty());
  CHECK(prometheus_problem("# TYPE x gauge\r\nx 1\r\n", {}).empty());
  CHECK(prometheus_problem("x 1\r\ny two\r\n", {}) == "line 2: 'two' is not a number: 'y two'");
}
