#include "commands/migrate/source.hpp"

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <regex>

namespace golfops::commands::migrate {
namespace {

namespace fs = std::filesystem;

bool has_marker(const std::string& sql, std::string_view marker) {
  std::size_t at = 0;
  while ((at = sql.find(marker, at)) != std::string::npos) {
    // Only as a comment of its own line, not inside a string somewhere.
    auto line_start = sql.rfind('\n', at);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    auto prefix = sql.substr(line_start, at - line_start);
    if (prefix.find_first_not_of(" \t-") == std::string::npos &&
        prefix.find("--") != std::string::npos) {
      return true;
    }
    at += marker.size();
  }
  return false;
}

Script make_script(const fs::path& path, std::string sql, std::size_t first_line = 1) {
  Script script{path, std::move(sql), true, first_line};
  script.transactional = !has_marker(script.sql, "golfops:no-transaction");
  return script;
}

std::size_t line_of(const std::string& text, std::size_t offset) {
  return static_cast<std::size_t>(
             std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n')) +
         1;
}

// dbmate: one file, `-- migrate:up [transaction:false]` then `-- migrate:down`.
void split_dbmate(const fs::path& path, const std::string& text, Migration& migration) {
  static const std::regex k_marker(R"(^--\s*migrate:(up|down)([^\n]*)$)", std::regex::multiline);
  struct Section {
    std::string direction;
    std::string options;
    std::size_t body_start;
    std::size_t marker_start;
  };
  std::vector<Section> sections;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), k_marker);
       it != std::sregex_iterator();
       ++it) {
    auto start = static_cast<std::size_t>(it->position(0));
    auto body = start + static_cast<std::size_t>(it->length(0));
    if (body < text.size()) {
      ++body; // the newline after the marker
    }
    sections.push_back({(*it)[1].str(), (*it)[2].str(), body, start});
  }
  bool found_up = false;
  for (std::size_t index = 0; index < sections.size(); ++index) {
    auto end = index + 1 < sections.size() ? sections[index + 1].marker_start : text.size();
    auto body = text.substr(sections[index].body_start, end - sections[index].body_start);
    auto script = make_script(path, body, line_of(text, sections[index].body_start));
    if (sections[index].options.find("transaction:false") != std::string::npos) {
      script.transactional = false;
    }
    if (sections[index].direction == "up") {
      migration.up = std::move(script);
      found_up = true;
    } else {
      migration.down = std::move(script);
    }
  }
  if (!found_up) {
    core::throw_usage(
        fmt::format("{}: a dbmate-style migration needs a '-- migrate:up' line", path.string()));
  }
}

struct Found {
  Migration migration;
  bool has_up = false;
};

} // namespace

std::string Version::text() const {
  std::string out;
  for (std::size_t index = 0; index < parts.size(); ++index) {
    out += (index == 0 ? "" : ".") + std::to_string(parts[index]);
  }
  return out;
}

std::optional<Version> parse_version(const std::string& text) {
  static const std::regex k_version(R"(\d{1,19}([._]\d{1,19})*)");
  if (!std::regex_match(text, k_version)) {
    return std::nullopt;
  }
  Version version;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of("._", start);
    version.parts.push_back(std::stoull(text.substr(start, end - start)));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  // 1.0 and 1 are the same version.
  while (version.parts.size() > 1 && version.parts.back() == 0) {
    version.parts.pop_back();
  }
  return version;
}

std::string_view format_name(SourceFormat format) {
  switch (format) {
  case SourceFormat::golfops:
    return "golfops";
  case SourceFormat::dbmate:
    return "dbmate";
  case SourceFormat::flyway:
    return "flyway";
  }
  return "golfops";
}

std::vector<Migration> load_migrations(const fs::path& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    core::throw_usage(fmt::format("migrate.dir: '{}' is not a directory", directory.string()));
  }
  static const std::regex k_golfops(R"((\d+)_([^/]+)\.(up|down)\.sql)");
  static const std::regex k_flyway(R"(([VU])(\d+(?:[._]\d+)*)__([^/]+)\.sql)");
  static const std::regex k_dbmate(R"((\d+)_([^/]+)\.sql)");

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());

  std::map<Version, Found> found;
  auto slot = [&](const std::string& label,
                  const std::string& name,
                  SourceFormat format,
                  const fs::path& path) -> Found& {
    auto version = *parse_version(label);
    auto& entry = found[version];
    if (!entry.migration.name.empty() &&
        (entry.migration.name != name || entry.migration.format != format)) {
      core::throw_usage(fmt::format("{}: version {} is also used by '{}' ({})",
                                    path.string(),
                                    version.text(),
                                    entry.migration.name,
                                    entry.migration.up.path.filename().string()));
    }
    entry.migration.version = version;
    entry.migration.version_label = label;
    entry.migration.name = name;
    entry.migration.format = format;
    return entry;
  };

  for (const auto& path : files) {
    auto filename = path.filename().string();
    std::smatch match;
    auto text = core::read_file(path, "migration");
    if (std::regex_match(filename, match, k_golfops)) {
      auto& entry = slot(match[1], match[2], SourceFormat::golfops, path);
      if (match[3] == "up") {
        if (entry.has_up) {
          core::throw_usage(fmt::format("{}: duplicate up migration for version {}",
                                        path.string(),
                                        entry.migration.version.text()));
        }
        entry.migration.up = make_script(path, text);
        entry.has_up = true;
      } else {
        entry.migration.down = make_script(path, text);
      }
    } else if (std::regex_match(filename, match, k_flyway)) {
      auto& entry = slot(match[2], match[3], SourceFormat::flyway, path);
      if (match[1] == "V") {
        entry.migration.up = make_script(path, text);
        entry.has_up = true;
      } else {
        entry.migration.down = make_script(path, text);
      }
    } else if (std::regex_match(filename, match, k_dbmate)) {
      auto& entry = slot(match[1], match[2], SourceFormat::dbmate, path);
      if (entry.has_up) {
        core::throw_usage(fmt::format("{}: duplicate migration for version {}",
                                      path.string(),
                                      entry.migration.version.text()));
      }
      split_dbmate(path, text, entry.migration);
      entry.has_up = true;
    } else {
      core::throw_usage(fmt::format(
          "{}: not a migration file name (expected NNNN_name.up.sql / NNNN_name.down.sql, "
          "NNNN_name.sql with '-- migrate:up', or V<version>__name.sql)",
          path.string()));
    }
  }

  std::vector<Migration> migrations;
  for (auto& [version, entry] : found) {
    if (!entry.has_up) {
      core::throw_usage(fmt::format("{}: a down migration without its up migration",
                                    entry.migration.down->path.string()));
    }
    entry.migration.checksum = core::sha256_hex(entry.migration.up.sql);
    migrations.push_back(std::move(entry.migration));
  }
  return migrations;
}

} // namespace golfops::commands::migrate
