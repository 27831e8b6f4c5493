#include "commands/backup/rdb.hpp"

#include <array>
#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

// The reflected form of 0xad93d23594c935a9, as redis/src/crc64.c computes it.
constexpr std::uint64_t k_polynomial = 0x95ac9329ac4bc9b5ULL;

constexpr std::array<std::uint64_t, 256> make_table() {
  std::array<std::uint64_t, 256> table{};
  for (std::uint64_t byte = 0; byte < 256; ++byte) {
    std::uint64_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) != 0 ? (crc >> 1) ^ k_polynomial : crc >> 1;
    }
    table[byte] = crc;
  }
  return table;
}

constexpr auto k_table = make_table();
constexpr std::size_t k_checksum_bytes = 8;

} // namespace

std::uint64_t crc64(std::uint64_t crc, std::string_view data) {
  for (unsigned char byte : data) {
    crc = k_table[(crc ^ byte) & 0xff] ^ (crc >> 8);
  }
  return crc;
}

void RdbChecker::feed(std::string_view data) {
  m_bytes += data.size();
  if (m_head.size() < 9) {
    m_head.append(data.substr(0, 9 - m_head.size()));
  }
  // Keep the last 8 bytes out of the checksum until the end is known.
  m_tail.append(data);
  if (m_tail.size() > k_checksum_bytes) {
    auto ready = m_tail.size() - k_checksum_bytes;
    m_crc = crc64(m_crc, std::string_view(m_tail).substr(0, ready));
    m_tail.erase(0, ready);
  }
}

std::string RdbChecker::finish() {
  if (m_head.size() < 9 || !m_head.starts_with("REDIS")) {
    return "not an RDB file (no REDIS header)";
  }
  m_version = m_head.substr(5, 4);
  if (m_tail.size() < k_checksum_bytes || m_bytes < 9 + 1 + k_checksum_bytes) {
    return "the RDB file is truncated";
  }
  std::uint64_t recorded = 0;
  for (std::size_t index = 0; index < k_checksum_bytes; ++index) {
    recorded |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_tail[index]))
                << (8 * index);
  }
  if (recorded != 0 && recorded != m_crc) {
    return fmt::format("the RDB's CRC-64 is {:016x}, its contents give {:016x}", recorded, m_crc);
  }
  return "";
}

} // namespace golfops::commands::backup
