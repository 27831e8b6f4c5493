#include "commands/dev/quote.hpp"

#include <doctest/doctest.h>

using namespace golfops::commands::dev;

TEST_CASE("dev: values golfops writes into server config files are quoted for them") {
  CHECK(postgres_conf_quote("/tmp/a b") == "'/tmp/a b'");
  CHECK(postgres_conf_quote("it's \\ $(x)") == "'it''s \\\\ $(x)'");
  CHECK(postgres_conf_quote(std::string("a\nb\x01", 4)) == "'a\\nb\\001'");
  CHECK(redis_conf_quote("/tmp/\"q\" `x`") == "\"/tmp/\\\"q\\\" `x`\"");
  CHECK(redis_conf_quote(std::string("a\tb\x7f", 4)) == "\"a\\tb\\x7f\"");
  CHECK(postgres_list_element("dir \"x\"") == "\"dir \"\"x\"\"\"");
}
