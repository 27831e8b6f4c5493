#include "core/config/config.hpp"
#include "core/config/password.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/conninfo.hpp"
#include "core/redact.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

using namespace golfops::core;
using namespace golfops::core::config;
using golfops::test::TempDir;

namespace {

LoadOptions options_in(const TempDir& dir, Environment environment = {}) {
  LoadOptions options;
  options.working_directory = dir.path();
  environment.emplace("HOME", (dir / "home").string());
  options.environment = std::move(environment);
  return options;
}

bool has_problem(const Config& config, std::string_view text) {
  for (const auto& problem : config.problems()) {
    if (problem.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("config: defaults when nothing is configured") {
  TempDir dir;
  auto config = load(options_in(dir));
  CHECK_FALSE(config.file());
  CHECK(config.problems().empty());
  CHECK(config.duration("database.connect_timeout").count() == 5000);
  CHECK(config.value("database.connect_timeout").source == Source::default_value);
  CHECK_FALSE(config.is_set("database.url"));
}

TEST_CASE("config: precedence flag > environment > file > default") {
  TempDir dir;
  atomic_write(dir / "golfops.toml",
               "[database]\nurl = \"postgres://file@h/db\"\nconnect_timeout = \"3s\"\n"
               "statement_timeout = \"10s\"\n");
  auto options = options_in(
      dir, {{"DATABASE_URL", "postgres://env@h/db"}, {"GOLFOPS_DATABASE_CONNECT_TIMEOUT", "4s"}});
  options.flags["database.url"] = {"postgres://flag@h/db", "--database-url"};
  auto config = load(options);
  REQUIRE(config.problems().empty());
  CHECK(config.text("database.url") == "postgres://flag@h/db");
  CHECK(config.value("database.url").source == Source::flag);
  CHECK(config.duration("database.connect_timeout").count() == 4000);
  CHECK(config.value("database.connect_timeout").origin == "GOLFOPS_DATABASE_CONNECT_TIMEOUT");
  CHECK(config.duration("database.statement_timeout").count() == 10000);
  CHECK(config.value("database.statement_timeout").source == Source::file);
  CHECK(config.value("database.statement_timeout").origin.ends_with("golfops.toml:4"));
}

TEST_CASE("config: discovery order") {
  TempDir dir;
  std::filesystem::create_directories(dir / "home/.config/golfops");
  atomic_write(dir / "home/.config/golfops/config.toml", "[redis]\nurl = \"redis://xdg:1/0\"\n");
  SUBCASE("XDG default home config") {
    auto config = load(options_in(dir));
    CHECK(config.text("redis.url") == "redis://xdg:1/0");
  }
  SUBCASE("./golfops.toml before the user config") {
    atomic_write(dir / "golfops.toml", "[redis]\nurl = \"redis://cwd:1/0\"\n");
    CHECK(load(options_in(dir)).text("redis.url") == "redis://cwd:1/0");
  }
  SUBCASE("GOLFOPS_CONFIG before ./golfops.toml, and it must exist") {
    atomic_write(dir / "golfops.toml", "[redis]\nurl = \"redis://cwd:1/0\"\n");
    atomic_write(dir / "named.toml", "[redis]\nurl = \"redis://named:1/0\"\n");
    auto named = load(options_in(dir, {{"GOLFOPS_CONFIG", (dir / "named.toml").string()}}));
    CHECK(named.text("redis.url") == "redis://named:1/0");
    CHECK_THROWS_AS(load(options_in(dir, {{"GOLFOPS_CONFIG", (dir / "nope.toml").string()}})),
                    Error);
  }
  SUBCASE("--config must exist") {
    auto options = options_in(dir);
    options.config_file = dir / "missing.toml";
    CHECK_THROWS_WITH_AS(load(options), doctest::Contains("missing.toml"), Error);
  }
}

TEST_CASE("config: relative paths in a file are relative to the file") {
  TempDir dir;
  std::filesystem::create_directories(dir / "app");
  atomic_write(dir / "app" / "golfops.toml",
               "[migrate]\ndir = \"db/migrations\"\n[dev]\nstate_dir = \"/var/tmp/dev\"\n"
               "redis_server = \"redis-server\"\n"
               "[[health.check]]\nname = \"backups\"\ntype = \"disk\"\npath = \"backups\"\n");
  SUBCASE("a file elsewhere: joined to its directory; absolute paths and programs kept") {
    auto options = options_in(dir);
    options.config_file = dir / "app" / "golfops.toml";
    auto config = load(options);
    REQUIRE(config.problems().empty());
    CHECK(config.text("migrate.dir") == (dir / "app" / "db" / "migrations").string());
    CHECK(config.text("dev.state_dir") == "/var/tmp/dev");
    CHECK(config.text("dev.redis_server") == "redis-server");
    REQUIRE(config.entries("health.check").size() == 1);
    CHECK(config.entries("health.check")[0].text("path") == (dir / "app" / "backups").string());
  }
  SUBCASE("the file in the working directory: kept as written") {
    auto options = options_in(dir);
    options.working_directory = dir / "app";
    auto config = load(options);
    REQUIRE(config.file());
    CHECK(config.text("migrate.dir") == "db/migrations");
  }
  SUBCASE("flags and the environment stay relative to the working directory") {
    auto options = options_in(dir, {{"GOLFOPS_DEV_STATE_DIR", "state"}});
    options.config_file = dir / "app" / "golfops.toml";
    options.flags["migrate.dir"] = {"mine", "--dir"};
    auto config = load(options);
    CHECK(config.text("migrate.dir") == "mine");
    CHECK(config.text("dev.state_dir") == "state");
  }
}

TEST_CASE("config: value_label names a value by where it was set") {
  TempDir dir;
  atomic_write(dir / "golfops.toml", "[migrate]\ndir = \"db\"\n");
  auto options = options_in(dir, {{"GOLFOPS_MIGRATE_LOCK_WAIT", "9s"}});
  options.flags["migrate.table"] = {"t", "--table"};
  auto config = load(options);
  CHECK(value_label(config.value("migrate.dir"), "migrate.dir") ==
        (dir / "golfops.toml").string() + ":2: migrate.dir");
  CHECK(value_label(config.value("migrate.lock_wait"), "migrate.lock_wait") ==
        "GOLFOPS_MIGRATE_LOCK_WAIT");
  CHECK(value_label(config.value("migrate.table"), "migrate.table") == "--table");
  CHECK(value_label(config.value("migrate.schema"), "migrate.schema") == "migrate.schema");
}

TEST_CASE("config: profiles") {
  TempDir dir;
  atomic_write(dir / "golfops.toml",
               "[database]\nurl = \"postgres://base@h/db\"\nconnect_timeout = \"3s\"\n\n"
               "[env.staging.database]\nurl = \"postgres://staging@h/db\"\n");
  auto options = options_in(dir);
  options.profile = "staging";
  auto config = load(options);
  REQUIRE(config.problems().empty());
  CHECK(config.text("database.url") == "postgres://staging@h/db");
  CHECK(config.value("database.url").origin.find("[env.staging]") != std::string::npos);
  CHECK(config.duration("database.connect_timeout").count() == 3000);
  options.profile = "prod";
  CHECK_THROWS_WITH_AS(load(options), doctest::Contains("profiles: staging"), Error);
}

TEST_CASE("config: interpolation") {
  TempDir dir;
  atomic_write(dir / "golfops.toml",
               "[database]\nurl = \"postgres://app@${DB_HOST}/db\"\n"
               "connect_timeout = \"${TIMEOUT:-7s}\"\n[redis]\nurl = \"redis://${MISSING}/0\"\n");
  auto config = load(options_in(dir, {{"DB_HOST", "db.internal"}}));
  CHECK(config.text("database.url") == "postgres://app@db.internal/db");
  CHECK(config.duration("database.connect_timeout").count() == 7000);
  CHECK(has_problem(config, "environment variable 'MISSING' is not set"));
}

TEST_CASE("config: bad input is named by file:line, key, value and what is allowed") {
  TempDir dir;
  SUBCASE("malformed TOML") {
    atomic_write(dir / "golfops.toml", "[database]\nurl = \"unterminated\n");
    try {
      load(options_in(dir));
      FAIL("parsed malformed TOML");
    } catch (const Error& error) {
      CHECK(error.code() == ExitCode::usage);
      CHECK(std::string(error.what()).find("golfops.toml:2:") != std::string::npos);
    }
  }
  SUBCASE("unknown key with a suggestion") {
    atomic_write(dir / "golfops.toml", "[database]\nulr = \"x\"\n");
    auto config = load(options_in(dir));
    CHECK(has_problem(config,
                      "golfops.toml:2: unknown key 'database.ulr' (did you mean 'database.url'?)"));
    CHECK_THROWS_AS(config.require_valid(), Error);
  }
  SUBCASE("unknown section") {
    atomic_write(dir / "golfops.toml", "[databse]\nurl = \"x\"\n");
    CHECK(has_problem(load(options_in(dir)), "unknown key 'databse.url'"));
  }
  SUBCASE("wrong type") {
    atomic_write(dir / "golfops.toml", "[database]\nconnect_timeout = 5\n");
    CHECK(has_problem(load(options_in(dir)), "database.connect_timeout: expected a duration"));
  }
  SUBCASE("invalid duration from the environment") {
    auto config = load(options_in(dir, {{"GOLFOPS_REDIS_COMMAND_TIMEOUT", "soon"}}));
    CHECK(has_problem(
        config, "GOLFOPS_REDIS_COMMAND_TIMEOUT: redis.command_timeout: invalid duration 'soon'"));
  }
  SUBCASE("invalid choice") {
    auto config = load(options_in(dir, {{"GOLFOPS_LOG_FORMAT", "xml"}}));
    CHECK(has_problem(config, "expected one of: text, json"));
  }
  SUBCASE("invalid URLs, password redacted") {
    auto config = load(options_in(dir,
                                  {{"DATABASE_URL", "postgres://u:pw-in-url@h:notaport/db"},
                                   {"REDIS_URL", "http://:topsecret@h/0"}}));
    CHECK(has_problem(config, "database.url: invalid PostgreSQL connection string"));
    CHECK(has_problem(config, "redis.url: invalid Redis URL"));
    for (const auto& problem : config.problems()) {
      CHECK(problem.find("pw-in-url") == std::string::npos);
      CHECK(problem.find("topsecret") == std::string::npos);
    }
  }
  SUBCASE("a missing password file is read, and refused, only when used") {
    atomic_write(dir / "golfops.toml", "[database]\npassword_file = \"/nonexistent/secret\"\n");
    auto config = load(options_in(dir));
    CHECK(config.problems().empty());
    CHECK_THROWS_WITH_AS(
        config.password_from_file("database.password_file"),
        doctest::Contains("database.password_file: cannot read '/nonexistent/secret'"),
        Error);
  }
}

TEST_CASE("config: password_file contents are read and registered as secrets") {
  TempDir dir;
  atomic_write(dir / "pw", "file-secret-xyz\n", 0600);
  atomic_write(dir / "golfops.toml",
               "[database]\npassword_file = \"" + (dir / "pw").string() + "\"\n");
  auto config = load(options_in(dir));
  REQUIRE(config.problems().empty());
  CHECK(config.password_from_file("database.password_file") == "file-secret-xyz");
  CHECK(redact("leak file-secret-xyz") == "leak ******");
}

TEST_CASE("config: schema") {
  CHECK(environment_name("database.connect_timeout") == "GOLFOPS_DATABASE_CONNECT_TIMEOUT");
  CHECK(find_key("redis.url") != nullptr);
  CHECK(find_key("redis.nope") == nullptr);
  CHECK(closest_key("redis.ulr") == "redis.url");
}

TEST_CASE("config: password precedence follows the sources") {
  TempDir dir;
  atomic_write(dir / "pw", "from-file-pw\n", 0600);
  auto file_key = "password_file = \"" + (dir / "pw").string() + "\"\n";
  SUBCASE("URL password from the environment beats password_file from the file") {
    atomic_write(dir / "golfops.toml", "[database]\n" + file_key);
    auto config = load(options_in(dir, {{"DATABASE_URL", "postgres://u:env-pw@h/db"}}));
    auto conninfo = pg::parse_conninfo(config.text("database.url"), "database.url");
    CHECK(resolve_password(*conninfo.get("password"),
                           std::nullopt,
                           config.value("database.url"),
                           config,
                           "database") == "env-pw");
  }
  SUBCASE("password_file from the environment beats a URL password in the file") {
    atomic_write(dir / "golfops.toml", "[database]\nurl = \"postgres://u:file-pw@h/db\"\n");
    auto config =
        load(options_in(dir, {{"GOLFOPS_DATABASE_PASSWORD_FILE", (dir / "pw").string()}}));
    CHECK(resolve_password(
              "file-pw", std::nullopt, config.value("database.url"), config, "database") ==
          "from-file-pw");
  }
  SUBCASE("both in the same place is ambiguous") {
    atomic_write(dir / "golfops.toml",
                 "[database]\nurl = \"postgres://u:file-pw@h/db\"\n" + file_key);
    auto config = load(options_in(dir));
    CHECK_THROWS_WITH_AS(
        resolve_password("file-pw", std::nullopt, config.value("database.url"), config, "database"),
        doctest::Contains("keep one"),
        Error);
  }
  SUBCASE("?password_file= in the URL is read") {
    auto config = load(options_in(dir));
    CHECK(resolve_password(
              "", (dir / "pw").string(), config.value("database.url"), config, "database") ==
          "from-file-pw");
  }
}

TEST_CASE("config: arrays of tables ([[health.check]])") {
  TempDir dir;
  atomic_write(dir / "golfops.toml",
               "[[health.check]]\n"
               "type = \"http\"\n"
               "url = \"http://${API_HOST}/health\"\n"
               "conditions = ['$.status == \"ok\"', 'header.x-service == golf']\n"
               "headers = { Authorization = \"Bearer t\", Accept = \"application/json\" }\n"
               "\n"
               "[[health.check]]\n"
               "type = \"disk\"\n"
               "path = \"/var/backups\"\n"
               "severity = \"warning\"\n"
               "\n"
               "[[env.ci.health.check]]\n"
               "type = \"tcp\"\n"
               "address = \"127.0.0.1:5432\"\n");
  SUBCASE("elements with defaults, lists and maps") {
    auto config = load(options_in(dir, {{"API_HOST", "api.internal"}}));
    REQUIRE(config.problems().empty());
    const auto& checks = config.entries("health.check");
    REQUIRE(checks.size() == 2);
    CHECK(checks[0].text("url") == "http://api.internal/health");
    CHECK(checks[0].value("conditions").items.size() == 2);
    CHECK(checks[0].value("conditions").items[0] == "$.status == \"ok\"");
    CHECK(checks[0].value("headers").items.size() == 2);
    CHECK(checks[0].text("severity") == "critical");
    CHECK(checks[0].text("timeout") == "5s");
    CHECK(checks[0].origin.ends_with("golfops.toml:1"));
    CHECK(checks[1].text("severity") == "warning");
  }
  SUBCASE("a profile's array replaces the file's") {
    auto options = options_in(dir, {{"API_HOST", "h"}});
    options.profile = "ci";
    auto config = load(options);
    REQUIRE(config.entries("health.check").size() == 1);
    CHECK(config.entries("health.check")[0].text("type") == "tcp");
  }
  SUBCASE("problems name the element, key, value and what is allowed") {
    atomic_write(dir / "golfops.toml",
                 "[[health.check]]\ntype = \"smtp\"\n\n[[health.check]]\ntype = \"http\"\n"
                 "timout = \"5s\"\ntimeout = \"soon\"\nconditions = \"not a list\"\n");
    auto config = load(options_in(dir));
    CHECK(has_problem(config,
                      "health.check[1].type: invalid value 'smtp' (expected one of: "
                      "postgres, redis, http, tcp, tls, disk, backup)"));
    CHECK(has_problem(config,
                      "golfops.toml:6: unknown key 'health.check[2].timout' (did you mean "
                      "'timeout'?)"));
    CHECK(has_problem(config, "health.check[2].timeout: invalid duration 'soon'"));
    CHECK(has_problem(config,
                      "golfops.toml:8: health.check[2].conditions: expected an array of "
                      "strings"));
  }
}
