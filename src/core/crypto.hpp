#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace golfops::core {

// Lower-case hex SHA-256 of `data` (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

// SHA-256 over data that arrives in pieces (a backup as it streams past).
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // Lower-case hex; the object is finished after.
  std::string hex_digest();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

// `bytes` random bytes from OpenSSL's CSPRNG as lower-case hex (passwords, ids).
std::string random_hex(std::size_t bytes);

} // namespace golfops::core
