#include "commands/backup/catalog.hpp"

#include "commands/version/version.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/encryption.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/zstd.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

namespace golfops::commands::backup {
namespace {

nlohmann::json optional_json(const auto& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

template <typename T> std::optional<T> optional_from(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || json.at(key).is_null()) {
    return std::nullopt;
  }
  return json.at(key).get<T>();
}

} // namespace

nlohmann::json tables_to_json(const std::vector<TableRows>& tables) {
  auto json = nlohmann::json::array();
  for (const auto& table : tables) {
    json.push_back({{"schema", table.schema},
                    {"name", table.name},
                    {"rows", optional_json(table.rows)},
                    {"estimate", optional_json(table.estimate)},
                    {"restored", optional_json(table.restored)}});
  }
  return json;
}

nlohmann::json manifest_to_json(const Manifest& manifest) {
  auto tables = tables_to_json(manifest.tables);
  return {{"manifest_version", 1},
          {"id", manifest.id},
          {"database", manifest.database},
          {"label", manifest.label},
          {"file", manifest.file},
          {"format", manifest.format},
          {"server_version", manifest.server_version},
          {"pg_dump_version", manifest.pg_dump_version},
          {"golfops_version", manifest.golfops_version},
          {"started_at", manifest.started_at},
          {"finished_at", manifest.finished_at},
          {"duration_ms", manifest.duration_ms},
          {"bytes_in", manifest.bytes_in},
          {"bytes_out", manifest.bytes_out},
          {"sha256", manifest.sha256},
          {"compression", {{"algorithm", "zstd"}, {"level", manifest.compression_level}}},
          {"encryption",
           manifest.encryption.empty()
               ? nlohmann::json(nullptr)
               : nlohmann::json{{"algorithm", manifest.encryption},
                                {"key_fingerprint", manifest.key_fingerprint}}},
          {"tables", tables},
          {"verified_at",
           manifest.verified_at.empty() ? nlohmann::json(nullptr)
                                        : nlohmann::json(manifest.verified_at)},
          {"verified_how",
           manifest.verified_how.empty() ? nlohmann::json(nullptr)
                                         : nlohmann::json(manifest.verified_how)}};
}

namespace {

Manifest from_json(const nlohmann::json& json) {
  Manifest manifest;
  manifest.id = json.at("id").get<std::string>();
  manifest.database = json.at("database").get<std::string>();
  manifest.label = json.value("label", "");
  manifest.file = json.at("file").get<std::string>();
  manifest.format = json.value("format", manifest.format);
  manifest.server_version = json.value("server_version", "");
  manifest.pg_dump_version = json.value("pg_dump_version", "");
  manifest.golfops_version = json.value("golfops_version", "");
  manifest.started_at = json.value("started_at", "");
  manifest.finished_at = json.value("finished_at", "");
  manifest.duration_ms = json.value("duration_ms", std::int64_t{0});
  manifest.bytes_in = json.value("bytes_in", std::uint64_t{0});
  manifest.bytes_out = json.value("bytes_out", std::uint64_t{0});
  manifest.sha256 = json.at("sha256").get<std::string>();
  if (json.contains("compression")) {
    manifest.compression_level = json.at("compression").value("level", 3);
  }
  if (json.contains("encryption") && json.at("encryption").is_object()) {
    manifest.encryption = json.at("encryption").at("algorithm").get<std::string>();
    manifest.key_fingerprint = json.at("encryption").at("key_fingerprint").get<std::string>();
  }
  for (const auto& table : json.value("tables", nlohmann::json::array())) {
    manifest.tables.push_back({table.at("schema").get<std::string>(),
                               table.at("name").get<std::string>(),
                               optional_from<std::uint64_t>(table, "rows"),
                               optional_from<std::int64_t>(table, "estimate"),
                               std::nullopt});
  }
  manifest.verified_at = optional_from<std::string>(json, "verified_at").value_or("");
  manifest.verified_how = optional_from<std::string>(json, "verified_how").value_or("");
  return manifest;
}

void read_directory(const std::filesystem::path& directory,
                    std::vector<Manifest>& found,
                    std::vector<std::string>* problems) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const auto& path = entry.path();
    if (path.extension() != ".json" || path.filename().string().starts_with(".")) {
      continue;
    }
    try {
      auto manifest = from_json(nlohmann::json::parse(core::read_file(path, "manifest")));
      // Only where golfops looks for it (<dir>/<database>/): a copied or
      // renamed directory ("golf.old") would list backups that verify and
      // restore then cannot find.
      if (directory.filename() != manifest.database) {
        if (problems != nullptr) {
          problems->push_back(fmt::format("{}: a backup of database {} outside {}; skipped (move "
                                          "it there to use it)",
                                          path.string(),
                                          manifest.database,
                                          (directory.parent_path() / manifest.database).string()));
        }
        continue;
      }
      if (!std::filesystem::exists(directory / manifest.file)) {
        if (problems != nullptr) {
          problems->push_back(
              fmt::format("{}: its archive {} is gone", path.string(), manifest.file));
        }
        continue;
      }
      found.push_back(std::move(manifest));
    } catch (const std::exception& failure) {
      if (problems != nullptr) {
        problems->push_back(
            fmt::format("{}: not a golfops manifest: {}", path.string(), failure.what()));
      }
    }
  }
}

} // namespace

std::filesystem::path database_dir(const BackupOptions& options, const std::string& database) {
  return options.dir / database;
}

std::filesystem::path manifest_path(const std::filesystem::path& directory, const std::string& id) {
  return directory / (id + ".json");
}

void write_manifest(const std::filesystem::path& directory, const Manifest& manifest) {
  core::atomic_write(
      manifest_path(directory, manifest.id), manifest_to_json(manifest).dump(2) + "\n", 0600);
}

std::vector<Manifest> list_backups(const BackupOptions& options,
                                   const std::string& database,
                                   std::vector<std::string>* problems) {
  std::vector<Manifest> found;
  if (!database.empty()) {
    read_directory(database_dir(options, database), found, problems);
    // One directory may hold both kinds (a PostgreSQL database named
    // "redis"): each command sees only its own, so retention and `latest`
    // never mix them.
    std::erase_if(found, [&](const Manifest& manifest) {
      return is_redis_backup(manifest) != options.redis;
    });
  } else {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(options.dir, error)) {
      if (entry.is_directory()) {
        read_directory(entry.path(), found, problems);
      }
    }
  }
  // Ids start with the UTC time: newest first is reverse lexical order.
  std::sort(found.begin(), found.end(), [](const Manifest& a, const Manifest& b) {
    return a.started_at != b.started_at ? a.started_at > b.started_at : a.id > b.id;
  });
  return found;
}

double epoch_seconds(const std::string& timestamp) {
  std::tm parts{};
  const char* rest = strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (rest == nullptr) {
    return 0;
  }
  return static_cast<double>(timegm(&parts)) + (*rest == '.' ? std::strtod(rest, nullptr) : 0.0);
}

std::string new_backup_id(std::chrono::system_clock::time_point now) {
  auto time = std::chrono::system_clock::to_time_t(now);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &parts);
  return fmt::format("{}-{}", stamp, core::random_hex(4));
}

BackupSlot::BackupSlot(const BackupOptions& options,
                       const std::string& name,
                       core::Context& context)
    : m_directory(database_dir(options, name)) {
  try {
    std::filesystem::create_directories(m_directory);
    std::filesystem::permissions(m_directory, std::filesystem::perms::owner_all);
  } catch (const std::filesystem::filesystem_error& failure) {
    // A backup dir golfops cannot create or use is a setting to fix, named
    // with where it came from; nothing was dumped yet.
    core::throw_usage(fmt::format("{}: cannot use '{}' for backups: {}",
                                  options.dir_label,
                                  m_directory.string(),
                                  failure.code().message()));
  }
  m_lock.emplace(m_directory / ".lock", std::chrono::milliseconds(0));
  // Under the lock no other backup of this name runs: a temporary file
  // here is what a killed one (kill -9, power loss) left.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(m_directory, error)) {
    auto file = entry.path().filename().string();
    if (file.starts_with(".") && (file.find(".zst.tmp.") != std::string::npos ||
                                  file.find(".zst.enc.tmp.") != std::string::npos)) {
      std::filesystem::remove(entry.path(), error);
      context.log.info(fmt::format("removed {}, left by a backup that did not finish", file));
    } else if (file.starts_with(".restore-") && file.ends_with(".tmp")) {
      // ".restore-<id>-<random>.<pid>.tmp": a restore's scratch copy, kept
      // while its restore (pid) lives.
      auto stem = file.substr(0, file.size() - 4);
      auto pid = std::atoi(stem.substr(stem.rfind('.') + 1).c_str());
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
        std::filesystem::remove(entry.path(), error);
        context.log.info(fmt::format("removed {}, left by a restore that did not finish", file));
      }
    }
  }
}

struct BackupWriter::Compression {
  Compression(int level, int threads) : compressor(level, threads) {}
  core::ZstdCompressor compressor;
  std::optional<core::StreamEncryptor> encryptor;
  core::Sha256 sha256;
};

BackupWriter::BackupWriter(const BackupOptions& options,
                           Manifest manifest,
                           std::string_view extension,
                           core::Context& context)
    : m_slot(options, manifest.database, context), m_manifest(std::move(manifest)),
      m_started(std::chrono::system_clock::now()) {
  m_manifest.id = new_backup_id(m_started);
  m_manifest.label = options.label;
  m_manifest.file = m_manifest.id + std::string(extension);
  std::optional<core::EncryptionKey> key;
  if (options.encrypt) {
    key = core::read_key_file(options.key_file, options.key_file_label);
    m_manifest.file += ".enc";
    m_manifest.encryption = core::k_encryption_algorithm;
    m_manifest.key_fingerprint = key->fingerprint;
    m_manifest.format += ", " + std::string(core::k_encryption_algorithm);
  }
  m_manifest.golfops_version = version::golfops_version();
  m_manifest.started_at = core::format_utc_milliseconds(m_started);
  m_manifest.compression_level = options.compression_level;
  m_file = std::make_unique<core::AtomicFile>(m_slot.directory() / m_manifest.file, 0600);
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  m_compression = std::make_unique<Compression>(options.compression_level, threads);
  if (key) {
    m_compression->encryptor.emplace(*key);
  }
}

BackupWriter::~BackupWriter() = default;

void BackupWriter::write(std::string_view data) {
  m_manifest.bytes_in += data.size();
  m_compression->compressor.write(data, [this](std::string_view compressed) { store(compressed); });
}

// The bytes that land on disk are the ones hashed: verify checks an
// encrypted backup's checksum without the key.
void BackupWriter::land(std::string_view bytes) {
  m_compression->sha256.update(bytes);
  m_file->write(bytes);
}

// Compressed bytes, encrypted when asked.
void BackupWriter::store(std::string_view compressed) {
  if (m_compression->encryptor) {
    m_compression->encryptor->write(compressed, [this](std::string_view bytes) { land(bytes); });
  } else {
    land(compressed);
  }
}

BackupResult BackupWriter::commit() {
  m_compression->compressor.finish([this](std::string_view compressed) { store(compressed); });
  if (m_compression->encryptor) {
    m_compression->encryptor->finish([this](std::string_view bytes) { land(bytes); });
  }
  m_file->commit();
  auto finished = std::chrono::system_clock::now();
  m_manifest.finished_at = core::format_utc_milliseconds(finished);
  m_manifest.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(finished - m_started).count();
  m_manifest.bytes_out = m_file->bytes_written();
  m_manifest.sha256 = m_compression->sha256.hex_digest();
  write_manifest(m_slot.directory(), m_manifest);
  return {m_manifest, m_slot.directory() / m_manifest.file};
}

Manifest
find_backup(const BackupOptions& options, const std::string& database, const std::string& wanted) {
  auto backups = list_backups(options, wanted == "latest" ? database : "");
  if (wanted == "latest") {
    if (backups.empty()) {
      core::throw_usage(fmt::format("latest: no backups of database '{}' in {}",
                                    database,
                                    database_dir(options, database).string()));
    }
    return backups.front();
  }
  std::vector<Manifest> matching;
  for (auto& manifest : backups) {
    if (manifest.id.starts_with(wanted) || manifest.id.ends_with(wanted)) {
      matching.push_back(std::move(manifest));
    }
  }
  if (matching.size() == 1) {
    return matching.front();
  }
  if (matching.empty()) {
    core::throw_usage(fmt::format(
        "ID: no backup '{}' in {} (see `golfops backup list`)", wanted, options.dir.string()));
  }
  std::vector<std::string> ids;
  for (const auto& manifest : matching) {
    ids.push_back(manifest.id);
  }
  core::throw_usage(fmt::format("ID: '{}' matches {} backups ({}): give more of it",
                                wanted,
                                matching.size(),
                                fmt::join(ids, ", ")));
}

} // namespace golfops::commands::backup
