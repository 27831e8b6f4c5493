#include "commands/migrate/source.hpp"

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <map>

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
  struct Section {
    std::string direction;
    std::string options;
    std::size_t body_start;
    std::size_t marker_start;
  };
  std::vector<Section> sections;
  for (std::size_t line_start = 0; line_start < text.size();) {
    auto line_end = text.find('\n', line_start);
    auto next = line_end == std::string::npos ? text.size() : line_end + 1;
    std::string_view line(text.data() + line_start, next - line_start);
    if (line.starts_with("--")) {
      auto rest = line.substr(2);
      rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
      for (std::string_view direction : {"up", "down"}) {
        auto marker = std::string("migrate:") + std::string(direction);
        if (rest.starts_with(marker) &&
            (rest.size() == marker.size() ||
             std::isspace(static_cast<unsigned char>(rest[marker.size()])))) {
          sections.push_back(
              {std::string(direction), std::string(rest.substr(marker.size())), next, line_start});
        }
      }
    }
    line_start = next;
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

// What a migration file name says: which layout, direction, version and name.
struct FileName {
  SourceFormat format = SourceFormat::golfops;
  bool up = true;
  std::string version;
  std::string name;
};

std::size_t leading_digits(std::string_view text) {
  std::size_t count = 0;
  while (count < text.size() && std::isdigit(static_cast<unsigned char>(text[count])) != 0) {
    ++count;
  }
  return count;
}

// NNNN_name.up.sql / NNNN_name.down.sql, V<ver>__name.sql / U<ver>__name.sql,
// NNNN_name.sql; nullopt for anything else.
std::optional<FileName> parse_file_name(std::string_view file) {
  if (!file.ends_with(".sql")) {
    return std::nullopt;
  }
  file.remove_suffix(4);
  if ((file.starts_with('V') || file.starts_with('U')) && file.size() > 1 &&
      std::isdigit(static_cast<unsigned char>(file[1])) != 0) {
    auto separator = file.find("__");
    if (separator == std::string_view::npos || separator + 2 == file.size()) {
      return std::nullopt;
    }
    auto version = std::string(file.substr(1, separator - 1));
    if (!parse_version(version)) {
      return std::nullopt;
    }
    return FileName{
        SourceFormat::flyway, file[0] == 'V', version, std::string(file.substr(separator + 2))};
  }
  auto digits = leading_digits(file);
  if (digits == 0 || digits >= file.size() || file[digits] != '_' || digits + 1 == file.size()) {
    return std::nullopt;
  }
  FileName name{SourceFormat::dbmate, true, std::string(file.substr(0, digits)), {}};
  auto rest = file.substr(digits + 1);
  if (rest.ends_with(".up") || rest.ends_with(".down")) {
    name.format = SourceFormat::golfops;
    name.up = rest.ends_with(".up");
    rest.remove_suffix(name.up ? 3 : 5);
  }
  if (rest.empty()) {
    return std::nullopt;
  }
  name.name = std::string(rest);
  return name;
}

struct Found {
  Migration migration;
  bool has_up = false;
};

} // namespace

std::string Version::text() const {
  std::string out;
  for (std::size_t index = 0; index < parts.size(); ++index) {
    if (index > 0) {
      out += '.';
    }
    out += std::to_string(parts[index]);
  }
  return out;
}

std::optional<Version> parse_version(const std::string& text) {
  Version version;
  std::size_t start = 0;
  while (true) {
    auto digits = leading_digits(std::string_view(text).substr(start));
    if (digits == 0 || digits > 19) {
      return std::nullopt;
    }
    version.parts.push_back(std::stoull(text.substr(start, digits)));
    start += digits;
    if (start == text.size()) {
      break;
    }
    if (text[start] != '.' && text[start] != '_') {
      return std::nullopt;
    }
    ++start;
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

std::vector<Migration> load_migrations(const fs::path& directory, std::string_view named_by) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    core::throw_usage(fmt::format("{}: '{}' is not a directory (expected the directory of "
                                  "migration files; set it with --dir or migrate.dir)",
                                  named_by,
                                  directory.string()));
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") {
      files.push_back(entry.path());
    }
  }
  // By name (all are in one directory): cheaper than path's component-wise order.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.native() < b.native();
  });

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
    auto parsed = parse_file_name(path.filename().string());
    if (!parsed) {
      core::throw_usage(fmt::format(
          "{}: not a migration file name (expected NNNN_name.up.sql / NNNN_name.down.sql, "
          "NNNN_name.sql with '-- migrate:up', or V<version>__name.sql)",
          path.string()));
    }
    auto text = core::read_file(path, "migration");
    auto& entry = slot(parsed->version, parsed->name, parsed->format, path);
    if (parsed->format == SourceFormat::dbmate) {
      if (entry.has_up) {
        core::throw_usage(fmt::format("{}: duplicate migration for version {}",
                                      path.string(),
                                      entry.migration.version.text()));
      }
      split_dbmate(path, text, entry.migration);
      entry.has_up = true;
    } else if (parsed->up) {
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
