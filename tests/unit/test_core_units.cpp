#include "core/error.hpp"
#include "core/units.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace golfops::core;

TEST_CASE("core::parse_duration") {
  SUBCASE("units") {
    CHECK(parse_duration("250ms").count() == 250);
    CHECK(parse_duration("5s").count() == 5000);
    CHECK(parse_duration("5m").count() == 300000);
    CHECK(parse_duration("1h30m").count() == 5400000);
    CHECK(parse_duration("1.5s").count() == 1500);
    CHECK(parse_duration("2d").count() == 172800000);
    CHECK(parse_duration("0").count() == 0);
  }
  SUBCASE("invalid values name the field and what is allowed") {
    for (auto bad : {"", "5", "5 s", "fast", "1x", "-5s", "s", "1h30"}) {
      CAPTURE(bad);
      try {
        parse_duration(bad, "health.timeout");
        FAIL("accepted");
      } catch (const Error& error) {
        CHECK(error.code() == ExitCode::usage);
        CHECK(std::string(error.what()).find("health.timeout") != std::string::npos);
        CHECK(std::string(error.what()).find("expected") != std::string::npos);
      }
    }
  }
}

TEST_CASE("core::format_duration") {
  CHECK(format_duration(Milliseconds(250)) == "250ms");
  CHECK(format_duration(Milliseconds(1500)) == "1.5s");
  CHECK(format_duration(Milliseconds(5000)) == "5s");
  CHECK(format_duration(Milliseconds(5400000)) == "1h30m");
  CHECK(format_duration(Milliseconds(90000)) == "1m30s");
}

TEST_CASE("core::parse_size") {
  CHECK(parse_size("512") == 512);
  CHECK(parse_size("10KB") == 10000);
  CHECK(parse_size("1.5GiB") == 1610612736ULL);
  CHECK(parse_size("20MiB") == 20971520ULL);
  CHECK(parse_size("1 TB") == 1000000000000ULL);
  CHECK_THROWS_AS(parse_size("1.5 furlongs"), Error);
  CHECK_THROWS_AS(parse_size("lots"), Error);
  CHECK_THROWS_AS(parse_size(""), Error);
}

TEST_CASE("core::parse_count") {
  CHECK(parse_count("1", "N") == 1);
  CHECK(parse_count("200", "N") == 200);
  CHECK(parse_count("0", "N", 0) == 0);
  for (const char* bad : {"0", "-1", "+1", "", "1.5", "3x", " 3", "99999999999999999999999"}) {
    CAPTURE(bad);
    auto expected = fmt::format("N: '{}' is not a count", bad);
    CHECK_THROWS_WITH_AS(parse_count(bad, "N"), doctest::Contains(expected.c_str()), Error);
  }
}

TEST_CASE("core::format_size") {
  CHECK(format_size(512) == "512 B");
  CHECK(format_size(1536) == "1.5 KiB");
  CHECK(format_size(20971520) == "20.0 MiB");
}
