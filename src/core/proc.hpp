#pragma once

#include "core/units.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace golfops::core {

// A child process to run. The environment is explicit: the child sees exactly
// `environment` and nothing inherited, so a secret reaches it only when the
// caller puts it there (never in argv, which `ps` shows to every user).
struct ProcessSpec {
  std::vector<std::string> argv = {};
  std::vector<std::string> environment = {}; // "NAME=value" entries
  std::filesystem::path working_directory = {};
  std::string standard_input = {};
  std::optional<Milliseconds> timeout = {}; // killed (SIGKILL) when exceeded
};

struct ProcessResult {
  int exit_code = 0; // 128 + signal when killed by a signal
  bool timed_out = false;
  std::string standard_output;
  std::string standard_error;
};

// Runs the process to completion, capturing its output. Throws Error(failed)
// when the program cannot be started.
ProcessResult run_process(const ProcessSpec& spec);

// The variables a child needs to behave normally (PATH, HOME, LANG, LC_*, TZ,
// TMPDIR) copied from this process, and nothing else.
std::vector<std::string> base_environment();

// Finds `program` on PATH; empty when absent.
std::filesystem::path find_program(const std::string& program);

} // namespace golfops::core
