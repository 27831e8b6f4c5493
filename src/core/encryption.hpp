#pragma once

#include "core/zstd.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace golfops::core {

// What encrypted files say they are, in manifests and docs.
inline constexpr std::string_view k_encryption_algorithm = "aes-256-gcm";

// A 256-bit key read from a key file, and its fingerprint: 16 hex digits
// of a SHA-256 over the key, safe to show, so a wrong key is named as such
// before anything is decrypted.
struct EncryptionKey {
  std::array<unsigned char, 32> bytes{};
  std::string fingerprint;
  // Every copy wipes its key bytes when it goes.
  ~EncryptionKey();
};

// Reads a key file: 64 hex digits (`openssl rand -hex 32`), surrounding
// whitespace allowed. Throws Error(usage) naming `label` and the path when
// the file is missing, readable by every user, or not such a key; the key
// itself never appears in a message.
EncryptionKey read_key_file(const std::filesystem::path& path, std::string_view label);

// The fingerprint of raw key bytes (exposed for tests).
std::string key_fingerprint(const std::array<unsigned char, 32>& key);

// Streaming authenticated encryption (AES-256-GCM, OpenSSL EVP) in the
// STREAM construction: a header (magic, key fingerprint, random salt), then
// chunks of 1 MiB plaintext, each with its own tag and a counter nonce
// under a per-file key derived with HKDF from the key and the salt. The
// last chunk is flagged in its associated data, so reordering, dropping or
// cutting chunks fails authentication like a flipped byte does. Memory
// stays bounded (one chunk) whatever the size.
class StreamEncryptor {
public:
  explicit StreamEncryptor(const EncryptionKey& key);
  ~StreamEncryptor();
  StreamEncryptor(const StreamEncryptor&) = delete;
  StreamEncryptor& operator=(const StreamEncryptor&) = delete;

  void write(std::string_view data, const Sink& sink);
  // Writes the final chunk; the encryptor is finished after.
  void finish(const Sink& sink);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// The reverse: passes plaintext on only after its chunk authenticated.
// Throws Error(usage) when the file was encrypted under another key (by its
// fingerprint) and Error(failed) when a chunk does not authenticate or the
// stream ends early.
class StreamDecryptor {
public:
  explicit StreamDecryptor(const EncryptionKey& key);
  ~StreamDecryptor();
  StreamDecryptor(const StreamDecryptor&) = delete;
  StreamDecryptor& operator=(const StreamDecryptor&) = delete;

  void write(std::string_view data, const Sink& sink);
  // Authenticates the final chunk; throws when the stream was cut short.
  void finish(const Sink& sink);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace golfops::core
