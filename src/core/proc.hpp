#pragma once

#include "core/fd.hpp"
#include "core/units.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace golfops::core {

// Where one of a child's standard streams goes.
struct Stdio {
  enum class Kind { pipe, null, file, inherit };
  Kind kind = Kind::pipe;
  std::filesystem::path path = {}; // file: opened for reading (stdin) or created 0600 (out)

  static Stdio to_pipe() { return {Kind::pipe}; }
  static Stdio to_null() { return {Kind::null}; }
  static Stdio to_file(std::filesystem::path file) { return {Kind::file, std::move(file)}; }
  static Stdio inherited() { return {Kind::inherit}; }
};

// A child process to run. The environment is explicit: the child sees exactly
// `environment` and nothing inherited, so a secret reaches it only when the
// caller puts it there (never in argv, which `ps` shows to every user).
struct ProcessSpec {
  std::vector<std::string> argv = {};
  std::vector<std::string> environment = {}; // "NAME=value" entries
  std::filesystem::path working_directory = {};
  std::string standard_input = {};
  std::optional<Milliseconds> timeout = {}; // the process group is killed when exceeded
};

struct ProcessResult {
  int exit_code = 0; // 128 + signal when killed by a signal
  bool timed_out = false;
  std::string standard_output;
  std::string standard_error;
};

// Runs the process to completion, capturing its output. Throws Error(failed)
// when the program cannot be started, Cancelled (after stopping the child's
// process group) on SIGINT/SIGTERM.
ProcessResult run_process(const ProcessSpec& spec);

// A running child in its own process group, for streaming work (pg_dump's
// output through zstd and SHA-256 into a file, a dump into pg_restore's
// stdin) without buffering whole files. Reads and writes wait with poll(),
// drain stderr as they go (so the child never blocks on a full stderr
// pipe; the last 8 KiB are kept for the error message) and end on
// cancellation. A Child that is destroyed while running has its whole
// process group stopped (SIGTERM, then SIGKILL after 2 s) and reaped.
class Child {
public:
  struct Options {
    std::vector<std::string> argv = {};
    std::vector<std::string> environment = {};
    std::filesystem::path working_directory = {};
    Stdio standard_input = Stdio::to_null();
    Stdio standard_output = Stdio::to_pipe();
    Stdio standard_error = Stdio::to_pipe();
  };

  struct Exit {
    int exit_code = 0; // 128 + signal when killed by a signal
    int signal = 0;    // the signal that killed it, 0 when it exited
    std::string stderr_tail;
  };

  // Throws Error(failed) naming the program when it cannot be started.
  explicit Child(const Options& options);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return m_pid; }

  // Writes all of `data` to the child's stdin (a pipe). Returns false when
  // the child closed its stdin (EPIPE), true otherwise.
  bool write_stdin(std::string_view data);
  void close_stdin();
  // Reads what is available on stdout (a pipe) into `buffer`; 0 at EOF.
  std::size_t read_stdout(char* buffer, std::size_t size);
  // Waits for the child to exit (draining stderr) and reaps it.
  Exit wait();
  // Sends `signal` to the child's process group.
  void signal_group(int signal) const;

private:
  friend ProcessResult run_process(const ProcessSpec& spec);
  // Reads what stderr has now into the tail (and `all`, when given).
  void drain_stderr(std::string* all = nullptr);
  void stop();

  pid_t m_pid = -1;
  bool m_reaped = false;
  UniqueFd m_stdin;
  UniqueFd m_stdout;
  UniqueFd m_stderr;
  std::string m_stderr_tail;
  Exit m_exit;
};

// The variables a child needs to behave normally (PATH, HOME, LANG, LC_*, TZ,
// TMPDIR) copied from this process, and nothing else.
std::vector<std::string> base_environment();

// Finds `program` on PATH; empty when absent.
std::filesystem::path find_program(const std::string& program);

} // namespace golfops::core
