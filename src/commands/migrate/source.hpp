#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace golfops::commands::migrate {

// A migration version: integers or timestamps ("0001", "20240101120000"), or
// Flyway's dotted versions ("1.2.10"), ordered numerically part by part.
struct Version {
  std::vector<std::uint64_t> parts;

  // Canonical text: no leading zeros, parts joined by '.' ("0007" -> "7").
  std::string text() const;
  auto operator<=>(const Version&) const = default;
};

// Parses "0007", "1.2", "1_2" (Flyway); nullopt when not a version.
std::optional<Version> parse_version(const std::string& text);

enum class SourceFormat { golfops, dbmate, flyway };

// One direction of a migration as found on disk.
struct Script {
  std::filesystem::path path;
  std::string sql;
  bool transactional = true;  // false: `-- golfops:no-transaction` (or dbmate transaction:false)
  std::size_t first_line = 1; // line of `sql` within `path` (dbmate sections start mid-file)
};

struct Migration {
  Version version;
  std::string version_label; // as written in the file name ("0007")
  std::string name;
  SourceFormat format = SourceFormat::golfops;
  Script up;
  std::optional<Script> down;
  std::string checksum; // SHA-256 of the up SQL, exactly as written
};

// Reads every migration in `directory`, in version order. Detects the format
// of each file: NNNN_name.up.sql/.down.sql (golfops, golang-migrate),
// NNNN_name.sql with `-- migrate:up` / `-- migrate:down` (dbmate),
// V<ver>__name.sql / U<ver>__name.sql (Flyway). Throws Error(usage) for a
// .sql file that matches none, a duplicate version, or a down without an up,
// and for a `directory` that is not one, naming it by `named_by` ("--dir").
std::vector<Migration> load_migrations(const std::filesystem::path& directory,
                                       std::string_view named_by);

std::string_view format_name(SourceFormat format);

} // namespace golfops::commands::migrate
