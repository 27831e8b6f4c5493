#include "commands/dev/servers.hpp"

#include "commands/dev/quote.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/redis/client.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace golfops::commands::dev {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

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

bool process_alive(int pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
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

// Stops PostgreSQL; pg_ctl waits until it has exited.
void stop_postgres(const Layout& layout,
                   const ServerUser& user,
                   const fs::path& bin,
                   std::string_view mode,
                   const core::Context& context) {
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

// --- Redis -----------------------------------------------------------------

namespace {

core::redis::Settings redis_settings(int port, const std::string& password) {
  core::redis::Settings settings;
  settings.endpoint.port = port;
  settings.endpoint.password = password;
  settings.connect_timeout = 1s;
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

} // namespace

void start_redis(const Layout& layout,
                 const ServerUser& user,
                 const std::string& program,
                 int port,
                 const std::string& password,
                 const core::Context& context) {
  write_redis_conf(layout, user, port, password);
  require_success(run_as(user, {{program, (layout.redis_dir() / "redis.conf").string()}}, context),
                  "redis-server");
  for (int attempt = 0;; ++attempt) {
    try {
      core::redis::Client client(redis_settings(port, password));
      client.command({"PING"});
      return;
    } catch (const core::Error& error) {
      if (attempt >= 100) {
        core::throw_failed(fmt::format("redis did not come up: {}", error.what()));
      }
      std::this_thread::sleep_for(100ms);
    }
  }
}

} // namespace golfops::commands::dev
