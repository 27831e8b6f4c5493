#pragma once

#include <cstdlib>
#include <doctest/doctest.h>
#include <exception>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace golfops::test {

// A fresh directory per test case, removed afterwards; kept when the case
// fails with an exception (REQUIRE, a throw) or when GOLFOPS_KEEP_TEMP is set,
// so its contents can be inspected.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "golfops-unit-XXXXXX").string();
    m_path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    if (std::uncaught_exceptions() > 0 || std::getenv("GOLFOPS_KEEP_TEMP") != nullptr) {
      MESSAGE("kept " << m_path.string());
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
  std::filesystem::path m_path;
};

} // namespace golfops::test
