#include "commands/backup/transfer.hpp"

#include "commands/backup/catalog.hpp"
#include "core/cancel.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/units.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
#include <unistd.h>
#include <vector>

namespace golfops::commands::backup {

Throughput::Throughput(core::output::Progress& progress, std::string what)
    : m_progress(progress), m_what(std::move(what)) {}

void Throughput::add(std::uint64_t bytes) {
  m_total += bytes;
  auto now = std::chrono::steady_clock::now();
  if (now - m_shown < std::chrono::seconds(1)) {
    return;
  }
  m_shown = now;
  auto seconds = std::chrono::duration<double>(now - m_start).count();
  m_progress.status(fmt::format("{}: {}, {}/s",
                                m_what,
                                core::format_size(m_total),
                                core::format_size(static_cast<std::uint64_t>(
                                    static_cast<double>(m_total) / std::max(seconds, 0.001)))));
}

std::int64_t Throughput::elapsed_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               m_start)
      .count();
}

std::optional<core::EncryptionKey> key_for(const BackupOptions& options, const Manifest& manifest) {
  if (manifest.encryption.empty()) {
    return std::nullopt;
  }
  if (manifest.encryption != core::k_encryption_algorithm) {
    core::throw_failed(fmt::format("backup {} is encrypted with {}, which this golfops does not "
                                   "know ({} only)",
                                   manifest.id,
                                   manifest.encryption,
                                   core::k_encryption_algorithm));
  }
  if (options.key_file.empty()) {
    core::throw_usage(fmt::format("backup {} is encrypted (key {}): give its key with --key-file "
                                  "or backup.encryption_key_file",
                                  manifest.id,
                                  manifest.key_fingerprint));
  }
  auto key = core::read_key_file(options.key_file, options.key_file_label);
  if (key.fingerprint != manifest.key_fingerprint) {
    core::throw_usage(fmt::format("{}: '{}' holds key {}, but backup {} was encrypted with key "
                                  "{}: the wrong key; nothing was read",
                                  options.key_file_label,
                                  options.key_file.string(),
                                  key.fingerprint,
                                  manifest.id,
                                  manifest.key_fingerprint));
  }
  return key;
}

ReadBackup read_backup(const BackupOptions& options,
                       const Manifest& manifest,
                       const core::Sink* archive,
                       Throughput& throughput) {
  auto path = database_dir(options, manifest.database) / manifest.file;
  std::optional<core::StreamDecryptor> decryptor;
  if (archive != nullptr) {
    if (auto key = key_for(options, manifest)) {
      decryptor.emplace(*key);
    }
  }
  core::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    core::throw_failed(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  ::posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  core::Sha256 sha256;
  std::optional<core::ZstdDecompressor> decompressor;
  if (archive != nullptr) {
    decompressor.emplace();
  }
  ReadBackup result;
  auto decompress = [&](auto&& step) {
    if (!decompressor) {
      return;
    }
    try {
      step();
    } catch (const core::Cancelled&) {
      throw;
    } catch (const core::Error& error) {
      result.archive_error = error.what();
      decompressor.reset();
    }
  };
  std::vector<char> buffer(1 << 20);
  while (true) {
    core::Cancellation::process().check();
    auto got = ::read(file.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      core::throw_failed(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    }
    if (got == 0) {
      break;
    }
    std::string_view piece(buffer.data(), static_cast<std::size_t>(got));
    sha256.update(piece);
    throughput.add(piece.size());
    decompress([&] {
      if (decryptor) {
        decryptor->write(piece,
                         [&](std::string_view plain) { decompressor->write(plain, *archive); });
      } else {
        decompressor->write(piece, *archive);
      }
    });
  }
  decompress([&] {
    if (decryptor) {
      decryptor->finish([&](std::string_view plain) { decompressor->write(plain, *archive); });
    }
    decompressor->finish();
  });
  result.sha256 = sha256.hex_digest();
  return result;
}

} // namespace golfops::commands::backup
