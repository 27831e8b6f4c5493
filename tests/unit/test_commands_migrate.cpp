#include "commands/migrate/invalid_indexes.hpp"
#include "commands/migrate/location.hpp"
#include "commands/migrate/source.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace golfops::commands::migrate;
using golfops::core::atomic_write;
using golfops::core::Error;
using golfops::test::TempDir;

TEST_CASE("migrate::parse_version orders numerically") {
  CHECK(parse_version("0007")->text() == "7");
  CHECK(parse_version("1_2")->text() == "1.2");
  CHECK(parse_version("1.0")->text() == "1");
  CHECK(*parse_version("2") < *parse_version("10"));
  CHECK(*parse_version("1.2") < *parse_version("1.10"));
  CHECK(*parse_version("20240101120000") < *parse_version("20240102000000"));
  CHECK_FALSE(parse_version("v1"));
  CHECK_FALSE(parse_version(""));
  CHECK_FALSE(parse_version("1..2"));
}

TEST_CASE("migrate::load_migrations detects each format") {
  TempDir dir;
  SUBCASE("golfops / golang-migrate") {
    atomic_write(dir / "0002_b.up.sql", "select 2;");
    atomic_write(dir / "0001_a.up.sql", "select 1;");
    atomic_write(dir / "0001_a.down.sql", "-- golfops:no-transaction\nselect -1;");
    atomic_write(dir / "README.md", "not a migration");
    auto migrations = load_migrations(dir.path(), "migrate.dir");
    REQUIRE(migrations.size() == 2);
    CHECK(migrations[0].version_label == "0001");
    CHECK(migrations[0].name == "a");
    CHECK(migrations[0].up.transactional);
    REQUIRE(migrations[0].down);
    CHECK_FALSE(migrations[0].down->transactional);
    CHECK_FALSE(migrations[1].down);
    CHECK(migrations[0].checksum.size() == 64);
  }
  SUBCASE("dbmate sections keep their line numbers") {
    atomic_write(dir / "20240101000000_x.sql",
                 "-- migrate:up transaction:false\ncreate index concurrently i on t (c);\n\n"
                 "-- migrate:down\ndrop index i;\n");
    auto migrations = load_migrations(dir.path(), "migrate.dir");
    REQUIRE(migrations.size() == 1);
    CHECK(migrations[0].format == SourceFormat::dbmate);
    CHECK_FALSE(migrations[0].up.transactional);
    CHECK(migrations[0].up.first_line == 2);
    CHECK(migrations[0].up.sql == "create index concurrently i on t (c);\n\n");
    REQUIRE(migrations[0].down);
    CHECK(migrations[0].down->first_line == 5);
    CHECK(migrations[0].down->transactional);
  }
  SUBCASE("Flyway") {
    atomic_write(dir / "V1__init.sql", "select 1;");
    atomic_write(dir / "V1.10__later.sql", "select 3;");
    atomic_write(dir / "V1.2__next.sql", "select 2;");
    atomic_write(dir / "U1__init.sql", "select -1;");
    auto migrations = load_migrations(dir.path(), "migrate.dir");
    REQUIRE(migrations.size() == 3);
    CHECK(migrations[1].version.text() == "1.2");
    CHECK(migrations[2].version.text() == "1.10");
    CHECK(migrations[0].down);
  }
  SUBCASE("bad input") {
    atomic_write(dir / "notes.sql", "select 1;");
    CHECK_THROWS_WITH_AS(load_migrations(dir.path(), "migrate.dir"),
                         doctest::Contains("not a migration file name"),
                         Error);
  }
  SUBCASE("duplicate versions") {
    atomic_write(dir / "0001_a.up.sql", "select 1;");
    atomic_write(dir / "1_b.up.sql", "select 1;");
    CHECK_THROWS_WITH_AS(
        load_migrations(dir.path(), "migrate.dir"), doctest::Contains("also used by"), Error);
  }
  SUBCASE("a down without an up") {
    atomic_write(dir / "0001_a.down.sql", "select 1;");
    CHECK_THROWS_WITH_AS(
        load_migrations(dir.path(), "migrate.dir"), doctest::Contains("without its up"), Error);
  }
  SUBCASE("a missing directory") {
    auto expected = fmt::format("--dir: '{}' is not a directory", (dir / "nope").string());
    CHECK_THROWS_WITH_AS(
        load_migrations(dir / "nope", "--dir"), doctest::Contains(expected.c_str()), Error);
  }
}

TEST_CASE("migrate::statement_starts understands SQL lexically") {
  std::string sql = "-- comment; not a statement\n"
                    "select 'a;b', \"c;d\", E'it\\'s;';\n"
                    "/* block; /* nested; */ still; */ create function f() returns int as $fn$\n"
                    "  begin return 1; end; $fn$ language plpgsql;\n"
                    "select $1, $$x;y$$;;\n"
                    "  select 3";
  auto starts = statement_starts(sql);
  REQUIRE(starts.size() == 4);
  CHECK(sql.substr(starts[0], 6) == "select");
  CHECK(sql.substr(starts[1], 6) == "create");
  CHECK(sql.substr(starts[2], 9) == "select $1");
  CHECK(sql.substr(starts[3], 8) == "select 3");
  auto ranges = statement_ranges(sql);
  CHECK(sql.substr(ranges[0].begin, ranges[0].end - ranges[0].begin) ==
        "select 'a;b', \"c;d\", E'it\\'s;';");
  CHECK(ranges[3].end == sql.size());
}

TEST_CASE("migrate::locate") {
  std::string sql = "create table a (id int);\n\ncreate tabel b (id int);\n";
  SUBCASE("by character position") {
    auto location = locate(sql, 34, 0);
    CHECK(location.line == 3);
    CHECK(location.column == 8);
    CHECK(location.text == "create tabel b (id int);");
  }
  SUBCASE("positions count characters, not bytes") {
    std::string unicode = "select 'é';\nselect x;";
    auto location = locate(unicode, 20, 0);
    CHECK(location.line == 2);
    CHECK(location.column == 8);
  }
  SUBCASE("by statement index") {
    auto location = locate(sql, 0, 1);
    CHECK(location.line == 3);
    CHECK(location.column == 1);
  }
  SUBCASE("inside a DO block by the PL/pgSQL line") {
    std::string block = "select 1;\nDO $$\nBEGIN\n  PERFORM 1 / 0;\nEND\n$$;\n";
    auto location = locate(block, 0, 1, "PL/pgSQL function inline_code_block line 3 at PERFORM");
    CHECK(location.line == 4);
    CHECK(location.column == 3);
  }
}

TEST_CASE("migrate::concurrent_builds reads index and table names as PostgreSQL does") {
  auto builds =
      concurrent_builds("-- golfops:no-transaction\n"
                        "create index concurrently Users_Email on users (email);\n"
                        "/* c */ CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Odd \"\"Q\"\"\"\n"
                        "  ON ONLY app.\"Mixed\" (id);\n"
                        "create index concurrently on t (x);\n"
                        "create index plain on t (x);\n"
                        "drop index concurrently users_email;\n"
                        "select 'create index concurrently nope on t (x)';\n");
  REQUIRE(builds.size() == 3);
  CHECK(builds[0].index == "users_email");
  CHECK(builds[0].table == "users");
  CHECK(builds[1].index == "Odd \"Q\"");
  CHECK(builds[1].table == "app.\"Mixed\"");
  CHECK(builds[2].index.empty());
  CHECK(builds[2].table == "t");
}
