#include "core/output/progress.hpp"

#include <fmt/format.h>

namespace golfops::core::output {
namespace {

// "[3/200]", or "[attempt 3]" when the total is open-ended.
std::string counter(std::size_t done, std::size_t total) {
  return total == 0 ? fmt::format("[attempt {}]", done) : fmt::format("[{}/{}]", done, total);
}

class SilentProgress final : public Progress {
public:
  void step(std::size_t, std::size_t, std::string_view) override {}
  void status(std::string_view) override {}
  void finish() override {}
};

class LineProgress final : public Progress {
public:
  explicit LineProgress(std::ostream& stream) : m_stream(stream) {}
  void step(std::size_t done, std::size_t total, std::string_view label) override {
    m_stream << fmt::format("golfops: progress: {} {}\n", counter(done, total), label)
             << std::flush;
  }
  void status(std::string_view label) override {
    m_stream << fmt::format("golfops: progress: {}\n", label) << std::flush;
  }
  void finish() override {}

private:
  std::ostream& m_stream;
};

class TerminalProgress final : public Progress {
public:
  explicit TerminalProgress(std::ostream& stream) : m_stream(stream) {}
  void step(std::size_t done, std::size_t total, std::string_view label) override {
    // \r and clear-to-end-of-line: one line, redrawn.
    m_stream << fmt::format("\r\033[K{} {}", counter(done, total), label) << std::flush;
    m_drawn = true;
  }
  void status(std::string_view label) override {
    m_stream << fmt::format("\r\033[K{}", label) << std::flush;
    m_drawn = true;
  }
  void finish() override {
    if (m_drawn) {
      m_stream << "\r\033[K" << std::flush;
      m_drawn = false;
    }
  }
  ~TerminalProgress() override { finish(); }

private:
  std::ostream& m_stream;
  bool m_drawn = false;
};

} // namespace

std::unique_ptr<Progress> make_progress(ProgressMode mode, std::ostream& stream) {
  switch (mode) {
  case ProgressMode::terminal:
    return std::make_unique<TerminalProgress>(stream);
  case ProgressMode::lines:
    return std::make_unique<LineProgress>(stream);
  case ProgressMode::silent:
    break;
  }
  return std::make_unique<SilentProgress>();
}

} // namespace golfops::core::output
