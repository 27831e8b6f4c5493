#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace golfops::core {

// Lower-case hex SHA-256 of `data` (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

// `bytes` random bytes from OpenSSL's CSPRNG as lower-case hex (passwords, ids).
std::string random_hex(std::size_t bytes);

} // namespace golfops::core
