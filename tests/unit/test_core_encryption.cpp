#include "core/encryption.hpp"
#include "core/error.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <random>
#include <sys/stat.h>

using namespace golfops::core;
using golfops::test::TempDir;

namespace {

constexpr std::size_t k_chunk = 1 << 20;

EncryptionKey test_key(unsigned char seed) {
  EncryptionKey key;
  for (std::size_t byte = 0; byte < key.bytes.size(); ++byte) {
    key.bytes[byte] = static_cast<unsigned char>(seed + byte);
  }
  key.fingerprint = key_fingerprint(key.bytes);
  return key;
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::string data(size, '\0');
  for (auto& byte : data) {
    byte = static_cast<char>(generator());
  }
  return data;
}

// Feeds `data` in pieces of `piece` bytes, as a file read would.
std::string encrypt(const EncryptionKey& key, std::string_view data, std::size_t piece) {
  StreamEncryptor encryptor(key);
  std::string out;
  Sink sink = [&](std::string_view bytes) { out.append(bytes); };
  for (std::size_t at = 0; at < data.size(); at += piece) {
    encryptor.write(data.substr(at, piece), sink);
  }
  encryptor.finish(sink);
  return out;
}

std::string decrypt(const EncryptionKey& key, std::string_view data, std::size_t piece) {
  StreamDecryptor decryptor(key);
  std::string out;
  Sink sink = [&](std::string_view bytes) { out.append(bytes); };
  for (std::size_t at = 0; at < data.size(); at += piece) {
    decryptor.write(data.substr(at, piece), sink);
  }
  decryptor.finish(sink);
  return out;
}

ExitCode decrypt_failure(const EncryptionKey& key, std::string_view data) {
  try {
    decrypt(key, data, 65536);
  } catch (const Error& error) {
    return error.code();
  }
  return ExitCode::ok;
}

void write_key(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

} // namespace

TEST_CASE("StreamEncryptor round-trips every size around the chunk boundary, fed in any pieces") {
  auto key = test_key(1);
  for (std::size_t size : {std::size_t{0},
                           std::size_t{1},
                           k_chunk - 1,
                           k_chunk,
                           k_chunk + 1,
                           2 * k_chunk,
                           3 * k_chunk + 12345}) {
    CAPTURE(size);
    auto plain = random_bytes(size, static_cast<unsigned>(size));
    for (std::size_t piece : {std::size_t{4096}, std::size_t{1000003}, k_chunk + 16}) {
      CAPTURE(piece);
      auto sealed = encrypt(key, plain, piece);
      // header + one tag per chunk: the overhead is small and bounded
      CHECK(sealed.size() ==
            48 + plain.size() +
                16 * std::max<std::size_t>(1, (plain.size() + k_chunk - 1) / k_chunk));
      CHECK(decrypt(key, sealed, piece) == plain);
    }
  }
}

TEST_CASE("the same plaintext encrypts differently each time (a fresh salt per file)") {
  auto key = test_key(2);
  auto plain = random_bytes(1000, 7);
  CHECK(encrypt(key, plain, 4096) != encrypt(key, plain, 4096));
}

TEST_CASE("a flipped byte anywhere after the header fails authentication") {
  auto key = test_key(3);
  auto sealed = encrypt(key, random_bytes(2 * k_chunk + 500, 9), 65536);
  for (std::size_t at : {std::size_t{48}, k_chunk, k_chunk + 16 + 48, sealed.size() - 1}) {
    CAPTURE(at);
    auto damaged = sealed;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    CHECK(decrypt_failure(key, damaged) == ExitCode::failed);
  }
}

TEST_CASE("a stream cut short, even at a chunk boundary, or with chunks swapped, fails") {
  auto key = test_key(4);
  auto sealed = encrypt(key, random_bytes(3 * k_chunk, 11), 65536);
  auto chunk = k_chunk + 16;
  // Cut after the second of three chunks: both remaining chunks authenticate
  // alone, but the last one read was not sealed as the last.
  CHECK(decrypt_failure(key, sealed.substr(0, 48 + 2 * chunk)) == ExitCode::failed);
  CHECK(decrypt_failure(key, sealed.substr(0, sealed.size() - 1)) == ExitCode::failed);
  CHECK(decrypt_failure(key, sealed.substr(0, 20)) == ExitCode::failed);
  auto swapped = sealed.substr(0, 48) + sealed.substr(48 + chunk, chunk) +
                 sealed.substr(48, chunk) + sealed.substr(48 + 2 * chunk);
  CHECK(decrypt_failure(key, swapped) == ExitCode::failed);
  CHECK(decrypt_failure(key, sealed + "x") == ExitCode::failed);
}

TEST_CASE("another key is named as the wrong key before anything is decrypted") {
  auto sealed = encrypt(test_key(5), "secret rows", 4096);
  CHECK(decrypt_failure(test_key(6), sealed) == ExitCode::usage);
  CHECK(decrypt_failure(test_key(5), "PGDMP not encrypted at all, long enough for a header..") ==
        ExitCode::failed);
}

TEST_CASE("read_key_file takes 64 hex digits and refuses anything else without echoing it") {
  TempDir dir;
  auto path = dir / "backup.key";
  std::string digits = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  write_key(path, "  " + digits + "\n", 0600);
  auto key = read_key_file(path, "backup.encryption_key_file");
  CHECK(key.bytes[0] == 0x00);
  CHECK(key.bytes[1] == 0x11);
  CHECK(key.bytes[31] == 0xff);
  CHECK(key.fingerprint.size() == 16);
  CHECK(key.fingerprint == key_fingerprint(key.bytes));

  auto refusal = [&](const std::string& text, mode_t mode) {
    write_key(path, text, mode);
    try {
      read_key_file(path, "backup.encryption_key_file");
    } catch (const Error& error) {
      CHECK(error.code() == ExitCode::usage);
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  auto short_key = refusal(digits.substr(0, 62), 0600);
  CHECK(short_key.find("64 hex digits") != std::string::npos);
  CHECK(short_key.find(digits.substr(0, 62)) == std::string::npos);
  CHECK(refusal(digits.substr(0, 63) + "g", 0600).find("not a key") != std::string::npos);
  CHECK(refusal(digits, 0644).find("chmod 600") != std::string::npos);
  CHECK(refusal(digits, 0640) == "accepted");
  CHECK(refusal("", 0600).find("not a key") != std::string::npos);
  std::filesystem::remove(path);
  try {
    read_key_file(path, "--key-file");
    FAIL("a missing key file was accepted");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("--key-file") == 0);
    CHECK(std::string(error.what()).find("cannot be read") != std::string::npos);
  }
}
