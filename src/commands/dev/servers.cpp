#include "commands/dev/servers.hpp"

#include "commands/dev/quote.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/net.hpp"
#include "core/redis/client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <netinet/in.h>
#include <optional>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace golfops::commands::dev {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// pg_ctl builds a shell command from its -l path and the postgres binary's
// path, so it runs in the log directory with a relative log name.
constexpr const char* k_postgres_log = "postgres.log";

// The last non-empty line a program wrote: why it failed, in one line.
std::string last_line(const core::ProcessResult& result) {
  for (const auto* text : {&result.standard_error, &result.standard_output}) {
    auto end = text->find_last_not_of(" \t\r\n");
    if (end == std::string::npos) {
      continue;
    }
    auto start = text->find_last_of('\n', end);
    return text->substr(start == std::string::npos ? 0 : start + 1, end - start);
  }
  return {};
}

void give_to(const fs::path& path, const ServerUser& user) {
  if (!user.name.empty() && ::chown(path.c_str(), user.uid, user.gid) != 0) {
    core::throw_failed(fmt::format("cannot give {} to {}", path.string(), user.name));
  }
}

std::string process_name(int pid) {
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(comm, name);
  return name;
}

// A process that exited but was not reaped yet (its parent is init, which
// may be slow to reap in a container) still has a pid and a name.
bool is_zombie(int pid) {
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(stat_file, stat);
  auto name_end = stat.rfind(')');
  return name_end == std::string::npos || name_end + 2 >= stat.size() ||
         stat[name_end + 2] == 'Z' || stat[name_end + 2] == 'X';
}

std::optional<fs::path> process_directory(int pid, const ServerUser& user) {
  auto link = fs::path(fmt::format("/proc/{}/cwd", pid));
  std::error_code error;
  auto directory = fs::read_symlink(link, error);
  if (error && !user.name.empty()) {
    // Root without CAP_SYS_PTRACE (a default container) may not look into
    // another user's process; that user may. fsuid is per thread.
    auto previous_gid = ::setfsgid(user.gid);
    auto previous_uid = ::setfsuid(user.uid);
    directory = fs::read_symlink(link, error);
    ::setfsuid(static_cast<uid_t>(previous_uid));
    ::setfsgid(static_cast<gid_t>(previous_gid));
  }
  if (error) {
    return std::nullopt;
  }
  return directory;
}

// PostgreSQL and Redis work in their data directories (postgres chdirs to
// PGDATA, redis to `dir`), so a pid from a pid file is our server only if
// that process still has the server's name and directory: a pid reused by
// another process after a crash or reboot is never signalled.
Identity
identify(int pid, std::string_view name, const fs::path& directory, const ServerUser& user) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH) || is_zombie(pid)) {
    return Identity::other;
  }
  if (!process_name(pid).starts_with(name)) {
    return Identity::other;
  }
  auto cwd = process_directory(pid, user);
  if (!cwd) {
    return Identity::unknown;
  }
  std::error_code error;
  auto expected = fs::weakly_canonical(directory, error);
  return !error && *cwd == expected ? Identity::ours : Identity::other;
}

constexpr std::string_view k_postgres_name = "postgres";
constexpr std::string_view k_redis_name = "redis"; // redis-server, or a build named redis-*

// Whether something on 127.0.0.1 holds `port` (a listener, or a connection
// using it as its local port), so a server could not bind it.
bool port_in_use(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool in_use =
      ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return in_use;
}

// A free port is only free until someone else binds it: a fresh `dev up`
// tries again on a new port when that happened to a server it starts.
constexpr int k_port_attempts = 3;

} // namespace

ServerUser server_user() {
  if (::geteuid() != 0) {
    return {};
  }
  const passwd* entry = ::getpwnam("postgres");
  if (entry == nullptr) {
    core::throw_usage("dev: running as root needs the unprivileged 'postgres' user (installed "
                      "with postgresql-15 by scripts/install-deps.sh), or run as a normal user");
  }
  return {entry->pw_name, entry->pw_uid, entry->pw_gid};
}

// Runs a server program, as the server user when we are root.
core::ProcessResult run_as(const ServerUser& user, Program program, const core::Context& context) {
  if (!user.name.empty()) {
    program.argv.insert(program.argv.begin(), {"runuser", "-u", user.name, "--"});
  }
  context.log.debug(fmt::format("dev: running {}", fmt::join(program.argv, " ")));
  core::ProcessSpec spec{
      std::move(program.argv), core::base_environment(), program.working_directory, "", 60s};
  spec.environment.emplace_back("LC_ALL=C.UTF-8");
  spec.environment.insert(
      spec.environment.end(), program.environment.begin(), program.environment.end());
  return core::run_process(spec);
}

void require_success(const core::ProcessResult& result,
                     std::string_view step,
                     std::string_view hint) {
  if (result.exit_code == 0 && !result.timed_out) {
    return;
  }
  auto why = result.timed_out ? std::string("timed out") : fmt::format("exit {}", result.exit_code);
  auto line = last_line(result);
  core::throw_failed(
      fmt::format("{} failed ({}){}{}", step, why, line.empty() ? "" : ": " + line, hint));
}

void make_directory(const fs::path& path, const ServerUser& user, fs::perms perms) {
  fs::create_directories(path);
  fs::permissions(path, perms);
  give_to(path, user);
}

// Writes a file the server user must read (a password for initdb, its config).
void write_server_file(const fs::path& path, const std::string& content, const ServerUser& user) {
  core::atomic_write(path, content, 0600);
  give_to(path, user);
}

int read_pid(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    return 0;
  }
  try {
    return std::stoi(core::read_file(path, "pid file"));
  } catch (const std::exception&) {
    return 0;
  }
}

Identity postgres_identity(const Layout& layout, const ServerUser& user) {
  return identify(read_pid(layout.postgres_pid()), k_postgres_name, layout.postgres_data(), user);
}

Identity redis_identity(const Layout& layout, const ServerUser& user) {
  return identify(read_pid(layout.redis_pid()), k_redis_name, layout.redis_dir(), user);
}

// --- PostgreSQL ------------------------------------------------------------

// What `pg_ctl -o "-c port=..."` used to pass, in a file and quoted for
// PostgreSQL, so a state directory's path is only ever read as a value.
void write_postgres_conf(const Layout& layout,
                         const ServerUser& user,
                         int port,
                         const core::Context& context) {
  // A Unix socket path must fit sockaddr_un; a deep state directory gets TCP only.
  auto socket = layout.sockets() / fmt::format(".s.PGSQL.{}", port);
  std::string sockets = "''";
  if (socket.string().size() < sizeof(sockaddr_un::sun_path)) {
    sockets = postgres_conf_quote(postgres_list_element(layout.sockets().string()));
  } else {
    context.log.debug(fmt::format("dev: no Unix socket: {} is too long", socket.string()));
  }
  write_server_file(layout.postgres_conf(),
                    fmt::format("# Written by golfops dev up; included by postgresql.conf.\n"
                                "port = {}\nlisten_addresses = '127.0.0.1'\n"
                                "unix_socket_directories = {}\n",
                                port,
                                sockets),
                    user);
}

void include_postgres_conf(const Layout& layout, const ServerUser& user) {
  auto conf = layout.postgres_data() / "postgresql.conf";
  auto text = core::read_file(conf, "postgresql.conf");
  // A relative include is found next to postgresql.conf: no path to quote.
  text += "\n# Added by golfops dev up: port, addresses and socket directory.\n"
          "include 'golfops-dev.conf'\n";
  write_server_file(conf, text, user);
}

void check_postgres_bin_dir(const fs::path& bin) {
  std::error_code error;
  for (const auto& path : {bin, fs::canonical(bin, error)}) {
    if (path.string().find_first_of("\"\\$`") != std::string::npos) {
      core::throw_usage(fmt::format("dev.postgres_bin_dir: '{}' contains a quote, backslash, $ "
                                    "or backtick, which pg_ctl would hand to a shell",
                                    path.string()));
    }
  }
}

void start_postgres(const Layout& layout,
                    const ServerUser& user,
                    const fs::path& bin,
                    const core::Context& context) {
  auto log = layout.logs() / k_postgres_log;
  if (!user.name.empty()) {
    std::error_code error;
    if (!fs::exists(log, error)) {
      core::atomic_write(log, "", 0640);
    }
    give_to(log, user);
  }
  // PGDATA instead of -D, and a log name relative to the directory pg_ctl runs
  // in: pg_ctl puts both into the shell line it starts postgres with.
  auto result =
      run_as(user,
             {{(bin / "pg_ctl").string(), "-l", k_postgres_log, "-w", "-t", "60", "start"},
              layout.logs(),
              {"PGDATA=" + layout.postgres_data().string()}},
             context);
  require_success(result, "pg_ctl start", fmt::format(" (log: {})", log.string()));
}

// Stops our PostgreSQL; pg_ctl waits until it has exited. pg_ctl itself
// signals whatever pid postmaster.pid names, so a stale file is checked first.
void stop_postgres(const Layout& layout,
                   const ServerUser& user,
                   const fs::path& bin,
                   std::string_view mode,
                   const core::Context& context) {
  if (postgres_identity(layout, user) == Identity::other) {
    return;
  }
  require_success(run_as(user,
                         {{(bin / "pg_ctl").string(),
                           "-D",
                           layout.postgres_data().string(),
                           "-m",
                           std::string(mode),
                           "-w",
                           "-t",
                           "60",
                           "stop"}},
                         context),
                  "pg_ctl stop");
}

// A fresh cluster on a free port, retried on a new port when someone else
// took the port between choosing and binding it.
int start_new_postgres(const Layout& layout,
                       const ServerUser& user,
                       const fs::path& bin,
                       const core::Context& context) {
  for (int attempt = 1;; ++attempt) {
    int port = core::net::free_loopback_port();
    write_postgres_conf(layout, user, port, context);
    try {
      start_postgres(layout, user, bin, context);
      return port;
    } catch (const core::Error&) {
      if (attempt == k_port_attempts || postgres_identity(layout, user) != Identity::other ||
          !port_in_use(port)) {
        throw;
      }
      context.log.debug(fmt::format("dev: port {} was taken, PostgreSQL tries another", port));
    }
  }
}

// --- Redis -----------------------------------------------------------------

namespace {

core::redis::Settings redis_settings(int port, const std::string& password) {
  core::redis::Settings settings;
  settings.endpoint.port = port;
  settings.endpoint.password = password;
  settings.connect_timeout = 1s;
  settings.command_timeout = 2s;
  return settings;
}

void write_redis_conf(const Layout& layout,
                      const ServerUser& user,
                      int port,
                      const std::string& password) {
  write_server_file(layout.redis_dir() / "redis.conf",
                    fmt::format("port {}\nbind 127.0.0.1\nprotected-mode yes\ndaemonize yes\n"
                                "pidfile {}\nlogfile {}\ndir {}\nrequirepass {}\nsave \"\"\n"
                                "appendonly no\n",
                                port,
                                redis_conf_quote(layout.redis_pid().string()),
                                redis_conf_quote(layout.redis_log().string()),
                                redis_conf_quote(layout.redis_dir().string()),
                                redis_conf_quote(password)),
                    user);
}

constexpr auto k_redis_start_timeout = 15s;

// redis-server daemonizes before it binds its port, so its exit status says
// only that the config was read: up means it answers PING with our password.
bool await_redis(const Layout& layout,
                 const ServerUser& user,
                 int port,
                 const std::string& password,
                 const core::Context& context) {
  auto deadline = Clock::now() + k_redis_start_timeout;
  bool seen = false;
  while (Clock::now() < deadline) {
    if (redis_answers(port, password, context)) {
      return true;
    }
    // Once it wrote its pid file, a server that exits will not answer.
    auto identity = redis_identity(layout, user);
    if (seen && identity == Identity::other) {
      return false;
    }
    seen = seen || identity != Identity::other;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool wait_until_gone(int pid,
                     const Layout& layout,
                     const ServerUser& user,
                     Clock::duration timeout) {
  auto deadline = Clock::now() + timeout;
  while (identify(pid, k_redis_name, layout.redis_dir(), user) != Identity::other) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

} // namespace

// Whether our Redis answers: only it knows the password.
bool redis_answers(int port, const std::string& password, const core::Context& context) {
  try {
    core::redis::Client client(redis_settings(port, password));
    client.command({"PING"});
    return true;
  } catch (const core::Error& error) {
    context.log.debug(fmt::format("dev: redis on port {}: {}", port, error.what()));
    return false;
  }
}

void start_redis(const Layout& layout,
                 const ServerUser& user,
                 const std::string& program,
                 int port,
                 const std::string& password,
                 const core::Context& context) {
  write_redis_conf(layout, user, port, password);
  require_success(run_as(user, {{program, (layout.redis_dir() / "redis.conf").string()}}, context),
                  "redis-server");
  if (!await_redis(layout, user, port, password, context)) {
    // Started but silent: it must not linger.
    try {
      stop_redis(layout, user, port, context);
    } catch (const core::Error& error) {
      context.log.debug(error.what());
    }
    core::throw_failed(fmt::format("redis-server did not answer on 127.0.0.1:{} (log: {})",
                                   port,
                                   layout.redis_log().string()));
  }
}

int start_new_redis(const Layout& layout,
                    const ServerUser& user,
                    const std::string& program,
                    const std::string& password,
                    const core::Context& context) {
  for (int attempt = 1;; ++attempt) {
    int port = core::net::free_loopback_port();
    try {
      start_redis(layout, user, program, port, password, context);
      return port;
    } catch (const core::Error&) {
      if (attempt == k_port_attempts || redis_identity(layout, user) != Identity::other ||
          !port_in_use(port)) {
        throw;
      }
      context.log.debug(fmt::format("dev: port {} was taken, Redis tries another", port));
    }
  }
}

// An authenticated SHUTDOWN reaches our server and nothing else, whatever
// happened to its pid; a signal goes only to a pid that is still ours.
// Returns whether there was a server to stop.
bool stop_redis(const Layout& layout,
                const ServerUser& user,
                int port,
                const core::Context& context) {
  int pid = read_pid(layout.redis_pid());
  bool ours = identify(pid, k_redis_name, layout.redis_dir(), user) != Identity::other;
  bool sent = false;
  try {
    auto password = core::read_secret_file(layout.redis_password(), "dev redis password");
    core::redis::Client client(redis_settings(port, password));
    sent = true;
    client.command({"SHUTDOWN", "NOSAVE"});
  } catch (const core::Error& error) {
    // Also how a successful SHUTDOWN ends: the server closes the connection.
    context.log.debug(fmt::format("dev: redis SHUTDOWN: {}", error.what()));
  }
  if (wait_until_gone(pid, layout, user, sent ? 10s : 0s)) {
    return sent || ours;
  }
  if (identify(pid, k_redis_name, layout.redis_dir(), user) == Identity::ours) {
    ::kill(pid, SIGTERM);
    if (wait_until_gone(pid, layout, user, 10s)) {
      return true;
    }
  }
  core::throw_failed(fmt::format("redis-server (pid {}) did not stop", pid));
}

} // namespace golfops::commands::dev
