#include "core/error.hpp"
#include "core/load/plan.hpp"
#include "core/load/result.hpp"
#include "core/load/schedule.hpp"
#include "core/load/threshold.hpp"
#include "core/load/wire.hpp"

#include <doctest/doctest.h>

namespace load = golfops::core::load;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

namespace {

std::string usage_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const golfops::core::Error& error) {
    CHECK(error.code() == golfops::core::ExitCode::usage);
    return error.what();
  }
  FAIL("no usage error");
  return "";
}

load::Result sample_result(std::int64_t start_ms, int base) {
  load::Result result;
  result.target = "http://127.0.0.1/";
  result.model = "closed";
  result.connections = 5;
  result.threads = 1;
  result.start_unix_ms = start_ms;
  result.seconds = 2;
  for (int index = 1; index <= 1000; ++index) {
    result.total.latency.record(std::chrono::microseconds(base + index));
  }
  result.total.requests = 1003;
  result.total.statuses[200] = 990;
  result.total.statuses[503] = 10;
  result.total.errors[static_cast<std::size_t>(load::ErrorKind::status)] = 10;
  result.total.errors[static_cast<std::size_t>(load::ErrorKind::timeout)] = 3;
  result.total.bytes = 123456;
  load::Second second;
  second.unix_second = start_ms / 1000;
  second.requests = 1003;
  second.errors = 13;
  second.latency = load::StoredHistogram::of(result.total.latency);
  result.timeline.push_back(second);
  return result;
}

} // namespace

TEST_CASE("Schedule: a constant rate sends evenly; a ramp from 0 sends as the integral says") {
  load::Schedule constant(100, {{seconds(10), 100}});
  CHECK(constant.total() == doctest::Approx(1000));
  CHECK(constant.due(0) == nanoseconds(0));
  CHECK(constant.due(100) == seconds(1));
  CHECK(constant.due(999) == milliseconds(9990));
  CHECK_FALSE(constant.due(1000).has_value());
  CHECK(constant.duration() == seconds(10));

  // 0 -> 100/s over 10 s: rate 10t, due count 5t^2, so request n is due at sqrt(n/5).
  load::Schedule ramp(0, {{seconds(10), 100}, {seconds(5), 100}});
  CHECK(ramp.total() == doctest::Approx(1000));
  CHECK(ramp.due(0) == nanoseconds(0));
  CHECK(ramp.due(5) == seconds(1));
  CHECK(ramp.due(125) == seconds(5));
  CHECK(ramp.due(500) == seconds(10));
  CHECK(ramp.due(600) == seconds(11));
  CHECK(ramp.rate_at(seconds(5)) == doctest::Approx(50));
  CHECK(ramp.rate_at(seconds(12)) == doctest::Approx(100));

  // Down again: 100 -> 0 over 10 s, 500 requests, the last ones far apart.
  load::Schedule down(100, {{seconds(10), 0}});
  CHECK(down.total() == doctest::Approx(500));
  auto last = down.due(499);
  REQUIRE(last.has_value());
  CHECK(*last > seconds(8));
  CHECK(*last < seconds(10));
}

TEST_CASE("Thresholds parse as written and refuse what they cannot judge") {
  auto p95 = load::parse_threshold("p95<50ms", "--threshold");
  CHECK(p95.metric == load::Threshold::Metric::latency);
  CHECK(p95.quantile == doctest::Approx(0.95));
  CHECK(p95.limit == doctest::Approx(50e6));
  CHECK(load::parse_threshold("p99.9 <= 1.5s", "--threshold").limit == doctest::Approx(1.5e9));
  CHECK(load::parse_threshold("mean<500us", "--threshold").limit == doctest::Approx(500e3));
  CHECK(load::parse_threshold("error_rate<1%", "--threshold").limit == doctest::Approx(0.01));
  CHECK(load::parse_threshold("error_rate<0.5", "--threshold").limit == doctest::Approx(0.5));
  auto rps = load::parse_threshold("rps>=1000", "--threshold");
  CHECK(rps.metric == load::Threshold::Metric::rps);
  CHECK(rps.comparison == load::Threshold::Comparison::greater_equal);

  CHECK(usage_message([] { load::parse_threshold("p95<fast", "--threshold"); }) ==
        "--threshold: 'p95<fast' compares p95 with 'fast', which is not a time like 500us, 50ms "
        "or 1.5s");
  CHECK(usage_message([] {
          load::parse_threshold("latency<5ms", "--slo");
        }).starts_with("--slo: 'latency<5ms' has no metric 'latency'"));
  CHECK(usage_message([] {
          load::parse_threshold("error_rate<150%", "--slo");
        }).find("not a share") != std::string::npos);
  CHECK(usage_message([] { load::parse_threshold("p100<1s", "--slo"); }).find("no metric") !=
        std::string::npos);
  CHECK(usage_message([] { load::parse_threshold("rps", "--slo"); }).find("expected METRIC") !=
        std::string::npos);
}

TEST_CASE("Thresholds judge a result; a latency threshold over no answers fails") {
  auto result = sample_result(1700000000000, 0);
  CHECK(load::evaluate(load::parse_threshold("p50<600us", "t"), result).passed);
  CHECK_FALSE(load::evaluate(load::parse_threshold("p50<400us", "t"), result).passed);
  CHECK(load::evaluate(load::parse_threshold("max<=1001us", "t"), result).passed);
  auto errors = load::evaluate(load::parse_threshold("error_rate<1%", "t"), result);
  CHECK_FALSE(errors.passed);
  CHECK(errors.shown == "1.30%");
  CHECK(load::evaluate(load::parse_threshold("rps>500", "t"), result).passed);
  CHECK_FALSE(load::evaluate(load::parse_threshold("rps>600", "t"), result).passed);
  load::Result empty;
  auto verdict = load::evaluate(load::parse_threshold("p99<10s", "t"), empty);
  CHECK_FALSE(verdict.passed);
  CHECK(verdict.shown == "no answers");
}

TEST_CASE("A result file round-trips, and merged files equal one histogram over both") {
  auto a = sample_result(1700000000000, 0);
  auto b = sample_result(1700000001500, 5000);
  auto read_back = load::from_json(load::to_json(a), "a.json");
  CHECK(read_back.total.requests == a.total.requests);
  CHECK(read_back.total.latency.buckets() == a.total.latency.buckets());
  CHECK(read_back.total.latency.percentile(0.99) == a.total.latency.percentile(0.99));
  CHECK(read_back.total.latency.mean() == a.total.latency.mean());
  CHECK(read_back.timeline.size() == 1);

  load::merge(read_back, load::from_json(load::to_json(b), "b.json"));
  golfops::core::Histogram both;
  both.merge(a.total.latency);
  both.merge(b.total.latency);
  CHECK(read_back.total.latency.buckets() == both.buckets());
  CHECK(read_back.total.latency.percentile(0.5) == both.percentile(0.5));
  CHECK(read_back.total.requests == 2006);
  CHECK(read_back.total.statuses[503] == 20);
  CHECK(read_back.sources == 2);
  // a ran 1700000000.000-002.000, b 1700000001.500-003.500: together 3.5 s.
  CHECK(read_back.seconds == doctest::Approx(3.5));
  CHECK(read_back.timeline.size() == 2);

  auto forged = load::to_json(a);
  forged["requests"] = 5;
  CHECK(usage_message([&] {
          load::from_json(forged, "x.json");
        }).starts_with("x.json: requests: 5 is not the statuses (1000) plus transport errors (3)"));
  auto reordered = load::to_json(a);
  std::swap(reordered["histogram"]["buckets"][0], reordered["histogram"]["buckets"][1]);
  CHECK(usage_message([&] {
          load::from_json(reordered, "x.json");
        }).starts_with("x.json: histogram: buckets out of order"));
}

TEST_CASE("Requests are encoded once with Host, Content-Length and the caller's headers") {
  load::Origin origin;
  origin.host = "127.0.0.1";
  origin.port = 8080;
  load::RequestSpec get;
  get.target = "/api/games?page=2";
  CHECK(load::encode_request(get, origin, "golfops/test", true) ==
        "GET /api/games?page=2 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: "
        "golfops/test\r\nAccept: */*\r\n\r\n");
  load::RequestSpec post;
  post.method = "POST";
  post.target = "/login";
  post.body = R"({"user":"a"})";
  post.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  origin.host = "::1";
  origin.port = 443;
  origin.tls = true;
  CHECK(load::encode_request(post, origin, "golfops/test", false) ==
        "POST /login HTTP/1.1\r\nHost: [::1]\r\nUser-Agent: golfops/test\r\nContent-Type: "
        "application/json\r\nAccept: application/json\r\nContent-Length: 12\r\nConnection: "
        "close\r\n\r\n{\"user\":\"a\"}");
}

TEST_CASE("URLs split into origin and target; credentials and other schemes are refused") {
  auto [origin, target] = load::split_url("https://example.com/a/b?x=1", "URL");
  CHECK(origin.tls);
  CHECK(origin.host == "example.com");
  CHECK(origin.port == 443);
  CHECK(target == "/a/b?x=1");
  auto [local, root] = load::split_url("http://[::1]:8080", "URL");
  CHECK(local.host == "::1");
  CHECK(local.port == 8080);
  CHECK(root == "/");
  CHECK(usage_message([] {
          load::split_url("ftp://example.com/", "URL");
        }).starts_with("URL: 'ftp://example.com/' is not an http:// or https:// URL"));
  auto message = usage_message([] { load::split_url("http://u:hunter2@example.com/", "URL"); });
  CHECK(message.find("hunter2") == std::string::npos);
}
