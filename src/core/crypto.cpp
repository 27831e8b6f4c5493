#include "core/crypto.hpp"

#include "core/error.hpp"

#include <array>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <vector>

namespace golfops::core {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t index = 0; index < size; ++index) {
    hex += k_digits[data[index] >> 4];
    hex += k_digits[data[index] & 0xF];
  }
  return hex;
}

// Fetched once: an implicit fetch per digest, and loading openssl.cnf for a
// checksum, cost more than hashing a few hundred migration files.
const EVP_MD* sha256() {
  static const EVP_MD* const k_sha256 = [] {
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
    return EVP_MD_fetch(nullptr, "SHA256", nullptr);
  }();
  return k_sha256;
}

} // namespace

std::string to_hex(std::string_view bytes) {
  return to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (sha256() == nullptr ||
      EVP_Digest(data.data(), data.size(), digest.data(), &length, sha256(), nullptr) != 1) {
    throw_failed("SHA-256 failed");
  }
  return to_hex(digest.data(), length);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw_failed("cannot read random bytes");
  }
  return to_hex(buffer.data(), buffer.size());
}

} // namespace golfops::core

namespace golfops::core {

struct Sha256::State {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
  if (m_state->context == nullptr || EVP_DigestInit_ex(m_state->context, sha256(), nullptr) != 1) {
    throw_failed("cannot start a SHA-256 digest");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(m_state->context, data.data(), data.size()) != 1) {
    throw_failed("SHA-256 digest failed");
  }
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(m_state->context, digest.data(), &length) != 1) {
    throw_failed("SHA-256 digest failed");
  }
  return to_hex(digest.data(), length);
}

} // namespace golfops::core
