#include "core/encryption.hpp"

#include "core/crypto.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>

namespace golfops::core {
namespace {

constexpr std::string_view k_magic = "GOLFENC\x01";
constexpr std::size_t k_fingerprint_bytes = 8;
constexpr std::size_t k_salt_bytes = 32;
constexpr std::size_t k_header_bytes = k_magic.size() + k_fingerprint_bytes + k_salt_bytes;
constexpr std::size_t k_chunk = 1 << 20;
constexpr std::size_t k_tag = 16;
constexpr std::string_view k_hkdf_info = "golfops backup v1 aes-256-gcm chunks";
constexpr std::string_view k_fingerprint_domain = "golfops backup key fingerprint v1";

using Key = std::array<unsigned char, 32>;

std::array<unsigned char, 32> sha256_raw(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw_failed("SHA-256 failed");
  }
  return digest;
}

std::string fingerprint_bytes(const Key& key) {
  std::string input(k_fingerprint_domain);
  input.append(reinterpret_cast<const char*>(key.data()), key.size());
  auto digest = sha256_raw(input);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest.data()), k_fingerprint_bytes);
}

// The per-file key: HKDF-SHA256 over the key with the file's salt, so a
// counter nonce never repeats under one AES key however many files share
// the key file.
Key derive_file_key(const Key& key, std::string_view salt) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* context = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (context == nullptr) {
    throw_failed("OpenSSL has no HKDF");
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(key.data()), key.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<char*>(k_hkdf_info.data()), k_hkdf_info.size()),
      OSSL_PARAM_construct_end()};
  Key file_key{};
  bool ok = EVP_KDF_derive(context, file_key.data(), file_key.size(), params) == 1;
  EVP_KDF_CTX_free(context);
  if (!ok) {
    throw_failed("HKDF key derivation failed");
  }
  return file_key;
}

std::array<unsigned char, 12> chunk_nonce(std::uint64_t counter) {
  std::array<unsigned char, 12> nonce{};
  for (int byte = 0; byte < 8; ++byte) {
    nonce[11 - byte] = static_cast<unsigned char>(counter >> (8 * byte));
  }
  return nonce;
}

// One AES-256-GCM context, reused chunk after chunk.
class Gcm {
public:
  Gcm() : m_context(EVP_CIPHER_CTX_new()) {
    if (m_context == nullptr) {
      throw_failed("cannot allocate a cipher context");
    }
  }
  ~Gcm() {
    EVP_CIPHER_CTX_free(m_context);
    OPENSSL_cleanse(m_key.data(), m_key.size());
  }
  Gcm(const Gcm&) = delete;
  Gcm& operator=(const Gcm&) = delete;

  void set_key(const Key& key) { m_key = key; }

  // Plaintext -> ciphertext followed by its tag.
  std::string seal(std::uint64_t counter, bool final, std::string_view plaintext) {
    auto nonce = chunk_nonce(counter);
    std::string out(plaintext.size() + k_tag, '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    unsigned char flag = final ? 1 : 0;
    int length = 0;
    bool ok =
        EVP_EncryptInit_ex2(m_context, EVP_aes_256_gcm(), m_key.data(), nonce.data(), nullptr) ==
            1 &&
        EVP_EncryptUpdate(m_context, nullptr, &length, &flag, 1) == 1 &&
        EVP_EncryptUpdate(m_context,
                          bytes,
                          &length,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(m_context, bytes + length, &length) == 1 &&
        EVP_CIPHER_CTX_ctrl(
            m_context, EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag), bytes + plaintext.size()) ==
            1;
    if (!ok) {
      throw_failed("AES-256-GCM encryption failed");
    }
    return out;
  }

  // Ciphertext and tag -> plaintext; false when it does not authenticate.
  bool open(std::uint64_t counter, bool final, std::string_view sealed, std::string& plaintext) {
    auto nonce = chunk_nonce(counter);
    auto size = sealed.size() - k_tag;
    plaintext.assign(size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
    unsigned char flag = final ? 1 : 0;
    std::array<unsigned char, k_tag> tag{};
    std::memcpy(tag.data(), sealed.data() + size, k_tag);
    int length = 0;
    return EVP_DecryptInit_ex2(m_context, EVP_aes_256_gcm(), m_key.data(), nonce.data(), nullptr) ==
               1 &&
           EVP_DecryptUpdate(m_context, nullptr, &length, &flag, 1) == 1 &&
           EVP_DecryptUpdate(m_context,
                             out,
                             &length,
                             reinterpret_cast<const unsigned char*>(sealed.data()),
                             static_cast<int>(size)) == 1 &&
           EVP_CIPHER_CTX_ctrl(
               m_context, EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag), tag.data()) == 1 &&
           EVP_DecryptFinal_ex(m_context, out + length, &length) == 1;
  }

private:
  EVP_CIPHER_CTX* m_context;
  Key m_key{};
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

} // namespace

EncryptionKey::~EncryptionKey() {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

std::string key_fingerprint(const Key& key) {
  return to_hex(fingerprint_bytes(key));
}

EncryptionKey read_key_file(const std::filesystem::path& path, std::string_view label) {
  auto problem = [&](std::string_view what) {
    throw_usage(fmt::format("{}: '{}' {}", label, path.string(), what));
  };
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    problem(fmt::format("cannot be read: {}", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    problem("is not a file (expected a key file: 64 hex digits, e.g. from `openssl rand -hex "
            "32`)");
  }
  if ((info.st_mode & S_IROTH) != 0) {
    problem(
        fmt::format("is readable by every user (mode {:04o}); chmod 600 it", info.st_mode & 07777));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    problem(fmt::format("cannot be read: {}", std::strerror(errno)));
  }
  std::string text(256, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) {
    problem("cannot be read");
  }
  text.resize(static_cast<std::size_t>(file.gcount()));
  auto first = text.find_first_not_of(" \t\r\n");
  auto last = text.find_last_not_of(" \t\r\n");
  auto digits = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  EncryptionKey key;
  bool valid = digits.size() == 64 &&
               std::all_of(digits.begin(), digits.end(), [](char c) { return hex_digit(c) >= 0; });
  if (valid) {
    for (std::size_t byte = 0; byte < key.bytes.size(); ++byte) {
      key.bytes[byte] = static_cast<unsigned char>(hex_digit(digits[2 * byte]) * 16 +
                                                   hex_digit(digits[2 * byte + 1]));
    }
  }
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(digits.data(), digits.size());
  if (!valid) {
    problem("is not a key (expected 64 hex digits, e.g. from `openssl rand -hex 32`)");
  }
  key.fingerprint = key_fingerprint(key.bytes);
  return key;
}

struct StreamEncryptor::State {
  Gcm gcm;
  std::string header;
  std::string pending;
  std::uint64_t counter = 0;
  bool header_written = false;
};

StreamEncryptor::StreamEncryptor(const EncryptionKey& key) : m_state(std::make_unique<State>()) {
  std::string salt(k_salt_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    throw_failed("cannot read random bytes");
  }
  m_state->header = std::string(k_magic) + fingerprint_bytes(key.bytes) + salt;
  auto file_key = derive_file_key(key.bytes, salt);
  m_state->gcm.set_key(file_key);
  OPENSSL_cleanse(file_key.data(), file_key.size());
}

StreamEncryptor::~StreamEncryptor() = default;

void StreamEncryptor::write(std::string_view data, const Sink& sink) {
  auto& state = *m_state;
  if (!state.header_written) {
    sink(state.header);
    state.header_written = true;
  }
  state.pending.append(data);
  // A full chunk goes out only once a byte follows it: the last chunk,
  // whatever its size, is sealed as the last by finish().
  std::size_t at = 0;
  while (state.pending.size() - at > k_chunk) {
    sink(state.gcm.seal(
        state.counter++, false, std::string_view(state.pending).substr(at, k_chunk)));
    at += k_chunk;
  }
  state.pending.erase(0, at);
}

void StreamEncryptor::finish(const Sink& sink) {
  auto& state = *m_state;
  if (!state.header_written) {
    sink(state.header);
    state.header_written = true;
  }
  sink(state.gcm.seal(state.counter++, true, state.pending));
  OPENSSL_cleanse(state.pending.data(), state.pending.size());
  state.pending.clear();
}

struct StreamDecryptor::State {
  EncryptionKey key;
  Gcm gcm;
  std::string pending;
  std::string plaintext;
  std::uint64_t counter = 0;
  bool header_read = false;
};

StreamDecryptor::StreamDecryptor(const EncryptionKey& key) : m_state(std::make_unique<State>()) {
  m_state->key = key;
}

StreamDecryptor::~StreamDecryptor() = default;

void StreamDecryptor::write(std::string_view data, const Sink& sink) {
  auto& state = *m_state;
  state.pending.append(data);
  std::size_t at = 0;
  if (!state.header_read) {
    if (state.pending.size() < k_header_bytes) {
      return;
    }
    std::string_view header(state.pending.data(), k_header_bytes);
    if (!header.starts_with(k_magic)) {
      throw_failed("not an encrypted golfops file (no GOLFENC header)");
    }
    auto fingerprint = header.substr(k_magic.size(), k_fingerprint_bytes);
    if (fingerprint != fingerprint_bytes(state.key.bytes)) {
      throw_usage(fmt::format("encrypted with key {}, not with the key given ({})",
                              to_hex(fingerprint),
                              state.key.fingerprint));
    }
    auto file_key =
        derive_file_key(state.key.bytes, header.substr(k_magic.size() + k_fingerprint_bytes));
    state.gcm.set_key(file_key);
    OPENSSL_cleanse(file_key.data(), file_key.size());
    state.header_read = true;
    at = k_header_bytes;
  }
  while (state.pending.size() - at > k_chunk + k_tag) {
    if (!state.gcm.open(state.counter,
                        false,
                        std::string_view(state.pending).substr(at, k_chunk + k_tag),
                        state.plaintext)) {
      throw_failed(fmt::format("encrypted chunk {} does not authenticate: the file is damaged "
                               "or was changed",
                               state.counter));
    }
    ++state.counter;
    sink(state.plaintext);
    at += k_chunk + k_tag;
  }
  state.pending.erase(0, at);
}

void StreamDecryptor::finish(const Sink& sink) {
  auto& state = *m_state;
  if (!state.header_read || state.pending.size() < k_tag ||
      !state.gcm.open(state.counter, true, state.pending, state.plaintext)) {
    throw_failed("the encrypted file ends early or its last chunk does not authenticate: it was "
                 "cut short or damaged");
  }
  sink(state.plaintext);
  state.pending.clear();
}

} // namespace golfops::core
