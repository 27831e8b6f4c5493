#include "core/checks/conditions.hpp"
#include "core/error.hpp"

#include <doctest/doctest.h>

using namespace golfops::core::checks;
using golfops::core::Error;
using golfops::core::http::Response;

namespace {

Response response(std::string body) {
  Response response;
  response.status = 200;
  response.body = std::move(body);
  response.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"X-Service", "golf"}};
  return response;
}

} // namespace

TEST_CASE("checks::parse_condition") {
  auto condition = parse_condition(R"($.status == "ok")", "c");
  CHECK(condition.subject == "$.status");
  CHECK(condition.op == Operator::equal);
  CHECK(condition.expected == "ok");
  CHECK(parse_condition("header.x-service contains golf", "c").op == Operator::contains);
  CHECK(parse_condition("$.a[0].b <= 10", "c").subject == "$.a[0].b");
  for (auto bad : {"$.status", "status ~= 1", "nope == 1", "$..a == 1", "header. == x"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_condition(bad, "health.check[1].conditions"),
                         doctest::Contains("health.check[1].conditions: invalid condition"),
                         Error);
  }
}

TEST_CASE("checks::evaluate") {
  auto ok = response(R"({"status":"ok","db":{"latency_ms":3,"up":true},"items":[{"n":1}]})");
  auto check = [&](const char* text) { return evaluate(parse_condition(text, "c"), ok); };
  CHECK(check(R"($.status == "ok")").ok);
  CHECK(check("$.db.latency_ms < 100").ok);
  CHECK(check("$.db.latency_ms >= 3").ok);
  CHECK(check("$.db.up == true").ok);
  CHECK(check("$.items[0].n == 1").ok);
  CHECK(check("status == 200").ok);
  CHECK(check("body contains latency").ok);
  CHECK(check("header.content-type contains json").ok);
  CHECK(check("header.X-SERVICE == golf").ok);

  auto failed = check(R"($.status != "ok")");
  CHECK_FALSE(failed.ok);
  CHECK(failed.reason == Reason::body);
  CHECK(failed.message == R"(expected $.status != "ok", got 'ok')");
  CHECK(check("$.missing == 1").message.find("not in the body") != std::string::npos);
  CHECK(check("header.x-missing == 1").reason == Reason::header);
  CHECK(check("status == 201").reason == Reason::status);
  CHECK_FALSE(evaluate(parse_condition("$.a == 1", "c"), response("not json")).ok);
  CHECK_FALSE(check("$.status < 3").ok); // ordering needs numbers
}
