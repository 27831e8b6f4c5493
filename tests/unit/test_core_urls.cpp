#include "core/error.hpp"
#include "core/pg/conninfo.hpp"
#include "core/redact.hpp"
#include "core/redis/endpoint.hpp"

#include <doctest/doctest.h>

using namespace golfops::core;

TEST_CASE("pg::parse_conninfo") {
  SUBCASE("URL") {
    auto info = pg::parse_conninfo("postgres://app:s3cret-pg@db.example:6432/golf?sslmode=require",
                                   "database.url");
    CHECK(info.get("host") == "db.example");
    CHECK(info.get("port") == "6432");
    CHECK(info.get("user") == "app");
    CHECK(info.get("password") == "s3cret-pg");
    CHECK(info.get("dbname") == "golf");
    CHECK(info.get("sslmode") == "require");
    CHECK(info.to_display().find("s3cret-pg") == std::string::npos);
    CHECK(info.to_string().find("password='s3cret-pg'") != std::string::npos);
    CHECK(pg::describe_target(info) == "db.example:6432/golf");
  }
  SUBCASE("password_file is golfops' own parameter") {
    auto info = pg::parse_conninfo(
        "postgresql://app@h/db?password_file=/run/secrets/pg&sslmode=disable", "database.url");
    CHECK(info.password_file == "/run/secrets/pg");
    CHECK(info.get("sslmode") == "disable");
  }
  SUBCASE("key=value") {
    auto info = pg::parse_conninfo("host=h port=5433 dbname=golf user=u", "database.url");
    CHECK(info.get("port") == "5433");
    CHECK(pg::describe_target(info) == "h:5433/golf");
  }
  SUBCASE("invalid") {
    CHECK_THROWS_WITH_AS(pg::parse_conninfo("postgres://u:pw@h:port/db", "database.url"),
                         doctest::Contains("database.url: invalid PostgreSQL connection string"),
                         Error);
    CHECK_THROWS_AS(pg::parse_conninfo("postgres://h/db?bogus=1", "database.url"), Error);
  }
  SUBCASE("redaction keeps the shape") {
    CHECK(pg::redact_connection_string("postgres://u:pw1234@h:5432/db") ==
          "postgres://u:******@h:5432/db");
    CHECK(pg::redact_connection_string("host=h password=pw1234 user=u") ==
          "host=h password=****** user=u");
    CHECK(pg::redact_connection_string("postgres://u@h/db") == "postgres://u@h/db");
  }
}

TEST_CASE("redis::parse_endpoint") {
  SUBCASE("password-only AUTH with an empty user") {
    auto endpoint =
        redis::parse_endpoint("redis://:r3dis-secret@cache.example:6380/2", "redis.url");
    CHECK_FALSE(endpoint.tls);
    CHECK(endpoint.host == "cache.example");
    CHECK(endpoint.port == 6380);
    CHECK(endpoint.user.empty());
    CHECK(endpoint.password == "r3dis-secret");
    CHECK(endpoint.database == 2);
    CHECK(endpoint.to_display() == "redis://:******@cache.example:6380/2");
  }
  SUBCASE("ACL user, TLS, defaults") {
    auto endpoint = redis::parse_endpoint("rediss://app:pw@h", "redis.url");
    CHECK(endpoint.tls);
    CHECK(endpoint.user == "app");
    CHECK(endpoint.port == 6379);
    CHECK(endpoint.database == 0);
  }
  SUBCASE("IPv6 and password_file") {
    auto endpoint =
        redis::parse_endpoint("redis://[::1]:7000/0?password_file=/run/secrets/r", "redis.url");
    CHECK(endpoint.host == "::1");
    CHECK(endpoint.address() == "[::1]:7000");
    CHECK(endpoint.password_file == "/run/secrets/r");
  }
  SUBCASE("invalid") {
    for (auto bad : {"http://h:1/0", "redis://h:1/zero", "redis://:pw@h/0?db=1", "not a url"}) {
      CAPTURE(bad);
      CHECK_THROWS_WITH_AS(redis::parse_endpoint(bad, "redis.url"),
                           doctest::Contains("redis.url: invalid Redis URL"),
                           Error);
    }
  }
}

TEST_CASE("redis::check_scheme is the part of the check config loading does") {
  CHECK_NOTHROW(redis::check_scheme("redis://h:1/0", "redis.url"));
  CHECK_NOTHROW(redis::check_scheme("rediss://u:pw@h", "redis.url"));
  // Needs the full parser: caught where Redis is used and by `config validate`.
  CHECK_NOTHROW(redis::check_scheme("redis://h:1/zero", "redis.url"));
  for (auto bad : {"http://:check-secret@h:1/0", "not a url", "redis:/h"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(redis::check_scheme(bad, "redis.url"),
                         doctest::Contains("redis.url: invalid Redis URL"),
                         Error);
  }
  SUBCASE("the password is registered for redaction") {
    CHECK_THROWS(redis::check_scheme("http://:check-secret@h:1/0", "redis.url"));
    CHECK(redact("said check-secret") == "said ******");
  }
}
