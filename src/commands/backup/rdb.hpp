#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace golfops::commands::backup {

// Redis's CRC-64 (Jones polynomial, reflected): the checksum at the end of
// every RDB file.
std::uint64_t crc64(std::uint64_t crc, std::string_view data);

// Checks an RDB file as it streams past: the "REDIS" magic and version at
// the start, and the CRC-64 in its last 8 bytes against everything before
// (an RDB written with rdbchecksum no carries 0 there: only the end marker
// is checked then).
class RdbChecker {
public:
  void feed(std::string_view data);
  // "" when the file is whole, else what is wrong.
  std::string finish();
  // "0011" from "REDIS0011"; empty until read.
  const std::string& version() const { return m_version; }

private:
  std::string m_head;
  std::string m_tail; // the last bytes seen, not yet in the checksum
  std::uint64_t m_crc = 0;
  std::uint64_t m_bytes = 0;
  std::string m_version;
};

} // namespace golfops::commands::backup
