#include "commands/backup/archive_scan.hpp"
#include "commands/backup/rdb.hpp"
#include "commands/backup/retention.hpp"
#include "core/fs.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace golfops::commands::backup;

namespace {

// pg_dump -Fc -Z0 of a database with app.rows (4 rows, one holding a
// newline and one holding "\."), an empty table, "Quoted Name" (1000 rows)
// and a sequence, written to a pipe as golfops runs it (no data offsets).
std::string fixture() {
  return golfops::core::read_file(GOLFOPS_UNIT_DATA "/pg15_custom_z0.dump", "fixture");
}

ArchiveSummary scan(std::string_view archive, std::size_t piece) {
  ArchiveScanner scanner;
  for (std::size_t at = 0; at < archive.size(); at += piece) {
    scanner.feed(archive.substr(at, piece));
  }
  return scanner.finish();
}

std::time_t at(int year, int month, int day, int hour = 3) {
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  return timegm(&parts);
}

std::vector<std::string> kept(const std::vector<RetentionDecision>& decisions) {
  std::vector<std::string> ids;
  for (const auto& decision : decisions) {
    if (decision.keep) {
      ids.push_back(decision.id);
    }
  }
  return ids;
}

} // namespace

TEST_CASE("backup::ArchiveScanner counts each table's rows, in any piece size") {
  auto archive = fixture();
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, archive.size()}) {
    CAPTURE(piece);
    auto summary = scan(archive, piece);
    CHECK(summary.problem == "");
    CHECK(summary.complete);
    CHECK(summary.archive_version == "1.14");
    CHECK(summary.database == "fixture");
    REQUIRE(summary.tables.size() == 3);
    CHECK(summary.tables[0].schema == "app");
    CHECK(summary.tables[0].name == "rows");
    CHECK(summary.tables[0].rows == 4);
    CHECK(summary.tables[1].name == "Quoted Name");
    CHECK(summary.tables[1].rows == 1000);
    CHECK(summary.tables[2].name == "empty");
    CHECK(summary.tables[2].rows == 0);
  }
}

TEST_CASE("backup::ArchiveScanner hands a listener the TOC, then each table's rows through \\.") {
  auto archive = fixture();
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{4096}}) {
    CAPTURE(piece);
    ArchiveScanner scanner;
    std::string toc;
    std::vector<std::string> rows(3);
    std::vector<int> ends(3, 0);
    bool rows_before_toc = false;
    scanner.listen({.on_toc =
                        [&](const ArchiveSummary& summary, std::string_view bytes) {
                          toc = bytes;
                          CHECK(summary.tables.size() == 3);
                          CHECK(summary.tables[0].copy_statement.starts_with("COPY app.rows ("));
                          CHECK(summary.session_sql.find("client_encoding") != std::string::npos);
                        },
                    .on_rows =
                        [&](std::size_t table, std::string_view data) {
                          rows_before_toc = rows_before_toc || toc.empty();
                          rows.at(table).append(data);
                        },
                    .on_table_end = [&](std::size_t table) { ++ends.at(table); }});
    for (std::size_t at = 0; at < archive.size(); at += piece) {
      scanner.feed(std::string_view(archive).substr(at, piece));
    }
    CHECK(scanner.finish().complete);
    CHECK_FALSE(rows_before_toc);
    // The TOC bytes are a prefix of the archive that ends where data begins.
    CHECK(archive.starts_with(toc));
    CHECK(toc.size() > 100);
    CHECK(toc.size() < archive.size());
    CHECK(ends == std::vector<int>{1, 1, 1});
    std::vector<std::size_t> lines;
    for (const auto& text : rows) {
      // Every table's text ends with the marker line and nothing after it.
      CHECK(text.ends_with("\\.\n"));
      lines.push_back(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
    }
    CHECK(lines == std::vector<std::size_t>{5, 1001, 1});
  }
}

TEST_CASE("backup::ArchiveScanner notices a truncated or foreign archive") {
  auto archive = fixture();
  auto cut = scan(archive.substr(0, archive.size() - 100), 512);
  CHECK_FALSE(cut.complete);
  CHECK(cut.problem != "");
  auto foreign = scan("-- plain SQL, not an archive\n", 64);
  CHECK_FALSE(foreign.complete);
  CHECK(foreign.problem == "not a pg_dump archive (no PGDMP header)");
  auto flipped = archive;
  flipped[0] = 'X';
  CHECK_FALSE(scan(flipped, 4096).complete);
}

TEST_CASE("backup::apply_retention keeps what restic's forget would, and the newest verified") {
  // One backup a day at 03:00 for 60 days, plus a second one on the newest day.
  std::vector<RetentionCandidate> daily;
  for (int day = 0; day < 60; ++day) {
    auto created = at(2026, 9, 27) + day * 86400;
    daily.push_back({fmt::format("d{:02}", day), created, false});
  }
  daily.push_back({"d59b", at(2026, 11, 25, 15), false});

  struct Case {
    RetentionPolicy policy;
    std::vector<std::string> expected;
  };
  std::vector<Case> cases = {
      {{.last = 2}, {"d59b", "d59"}},
      {{.daily = 3}, {"d59b", "d58", "d57"}},
      {{.last = 1, .daily = 2}, {"d59b", "d58"}},
      // ISO weeks: 2026-11-25 is a Wednesday; week 48 began Monday 2026-11-23.
      {{.weekly = 2}, {"d59b", "d56"}},
      {{.monthly = 3}, {"d59b", "d34", "d03"}},
      {{.last = 1, .weekly = 1, .monthly = 2}, {"d59b", "d34"}},
  };
  for (const auto& [policy, expected] : cases) {
    CAPTURE(policy.last);
    CAPTURE(policy.daily);
    CAPTURE(policy.weekly);
    CAPTURE(policy.monthly);
    CHECK(kept(apply_retention(daily, policy)) == expected);
  }
}

TEST_CASE("backup::apply_retention never drops the newest verified backup") {
  std::vector<RetentionCandidate> backups = {
      {"new", at(2026, 11, 25), false},
      {"mid", at(2026, 11, 24), true},
      {"old", at(2026, 11, 23), true},
  };
  auto decisions = apply_retention(backups, {.last = 1});
  CHECK(kept(decisions) == std::vector<std::string>{"new", "mid"});
  CHECK(decisions[1].reasons == std::vector<std::string>{"newest verified"});
  // Nothing verified: the policy alone decides.
  for (auto& backup : backups) {
    backup.verified = false;
  }
  CHECK(kept(apply_retention(backups, {.last = 1})) == std::vector<std::string>{"new"});
  // An empty policy keeps everything.
  CHECK(kept(apply_retention(backups, {})).size() == 3);
}

TEST_CASE("backup::crc64 is Redis's CRC-64 (Jones)") {
  // redis/src/crc64.c's own test vector.
  CHECK(crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
}

TEST_CASE("backup::RdbChecker accepts a whole RDB and refuses a damaged one") {
  std::string body = std::string("REDIS0011") + "\xfa\x09redis-ver\x05" + "7.0.15" + "\xff";
  auto crc = crc64(0, body);
  std::string rdb = body;
  for (int index = 0; index < 8; ++index) {
    rdb += static_cast<char>((crc >> (8 * index)) & 0xff);
  }
  for (std::size_t piece : {std::size_t{1}, std::size_t{5}, rdb.size()}) {
    RdbChecker checker;
    for (std::size_t at = 0; at < rdb.size(); at += piece) {
      checker.feed(std::string_view(rdb).substr(at, piece));
    }
    CHECK(checker.finish() == "");
    CHECK(checker.version() == "0011");
  }
  auto flipped = rdb;
  flipped[12] ^= 0x20;
  RdbChecker damaged;
  damaged.feed(flipped);
  CHECK(damaged.finish().find("CRC-64") != std::string::npos);
  RdbChecker truncated;
  truncated.feed(std::string_view(rdb).substr(0, 12));
  CHECK(truncated.finish() == "the RDB file is truncated");
}
