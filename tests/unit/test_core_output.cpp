#include "core/output/confirm.hpp"
#include "core/output/log.hpp"
#include "core/output/report.hpp"
#include "core/output/textfile.hpp"
#include "core/redact.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace golfops::core;
using namespace golfops::core::output;

TEST_CASE("output::Table aligns columns") {
  Table table({"check", "latency"});
  table.align_right(1);
  table.add_row({{"postgres"}, {"1.2 ms"}});
  table.add_row({{"redis"}, {"12.5 ms"}});
  CHECK(table.render(false) == "check     latency\n"
                               "postgres   1.2 ms\n"
                               "redis     12.5 ms\n");
  CHECK(table.render(true).find("\033[") != std::string::npos);
}

TEST_CASE("output::render") {
  Report report;
  report.json = {{"status", "pass"}};
  Table table({"a"});
  table.add_row({{"x"}});
  report.tables.push_back(table);
  report.notes.push_back("done");
  CHECK(nlohmann::json::parse(render(report, "json", false))["status"] == "pass");
  CHECK(render(report, "table", false) == "a\nx\n\ndone\n");
  report.text = "raw";
  CHECK(render(report, "json", false) == "raw");
}

TEST_CASE("output::Logger") {
  std::ostringstream stream;
  register_secret("log-secret-123");
  SUBCASE("text, verbosity and redaction") {
    Logger logger(stream, LogFormat::text, Verbosity::normal, false);
    logger.debug("hidden");
    logger.info("shown log-secret-123");
    CHECK(stream.str() == "golfops: info: shown ******\n");
  }
  SUBCASE("quiet keeps warnings and errors") {
    Logger logger(stream, LogFormat::text, Verbosity::quiet, false);
    logger.info("hidden");
    logger.warning("kept");
    CHECK(stream.str() == "golfops: warning: kept\n");
  }
  SUBCASE("json lines") {
    Logger logger(stream, LogFormat::json, Verbosity::verbose, false);
    logger.debug("one");
    auto line = nlohmann::json::parse(stream.str());
    CHECK(line["level"] == "debug");
    CHECK(line["message"] == "one");
    CHECK(line["time"].get<std::string>().ends_with("Z"));
  }
}

TEST_CASE("output::Confirm asks once and takes only yes") {
  auto answer = [](const std::string& typed) {
    std::istringstream in(typed);
    std::ostringstream out;
    Confirm confirm(in, out, true);
    bool yes = confirm.ask("Drop it?");
    CHECK(out.str().starts_with("Drop it? [y/N] "));
    return yes;
  };
  CHECK(answer("y\n"));
  CHECK(answer("YES\n"));
  CHECK(answer(" yes \r\n"));
  CHECK_FALSE(answer("n\n"));
  CHECK_FALSE(answer("\n"));
  CHECK_FALSE(answer("yes please\n"));
  CHECK_FALSE(answer("")); // end of input
  std::istringstream in("y\n");
  std::ostringstream out;
  CHECK_FALSE(Confirm(in, out, false).interactive());
}

TEST_CASE("textfile: label values are escaped as the Prometheus text format asks") {
  using golfops::core::output::label_value;
  CHECK(label_value("golf") == "golf");
  CHECK(label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}
