#include "commands/dev/dev.hpp"

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/net.hpp"
#include "core/pg/client.hpp"
#include "core/proc.hpp"
#include "core/redis/client.hpp"

#include <csignal>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <thread>
#include <unistd.h>

namespace golfops::commands::dev {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The layout of a state directory.
struct Layout {
  fs::path root;
  fs::path postgres_data() const { return root / "postgres" / "data"; }
  fs::path redis_dir() const { return root / "redis"; }
  fs::path sockets() const { return root / "postgres" / "run"; }
  fs::path logs() const { return root / "log"; }
  fs::path state_file() const { return root / "dev.json"; }
  fs::path config_file() const { return root / "golfops.toml"; }
  fs::path database_password() const { return root / "postgres.password"; }
  fs::path redis_password() const { return root / "redis.password"; }
  fs::path redis_pid() const { return redis_dir() / "redis.pid"; }
};

// Servers run as this user when golfops runs as root: initdb refuses root.
struct ServerUser {
  std::string name; // empty: run as ourselves
  uid_t uid = 0;
  gid_t gid = 0;
};

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

fs::path default_state_dir(const core::config::Environment& environment) {
  if (::geteuid() == 0) {
    // Root's home is closed to other users; the servers' user must reach its files.
    return "/var/lib/golfops/dev";
  }
  if (auto xdg = environment.find("XDG_STATE_HOME");
      xdg != environment.end() && !xdg->second.empty()) {
    return fs::path(xdg->second) / "golfops" / "dev";
  }
  auto home = environment.find("HOME");
  return fs::path(home != environment.end() ? home->second : "/tmp") / ".local" / "state" /
         "golfops" / "dev";
}

Layout layout_for(const DevOptions& options, const core::config::Config& config) {
  fs::path root = options.state_dir;
  if (root.empty() && config.is_set("dev.state_dir")) {
    root = config.text("dev.state_dir");
  }
  if (root.empty()) {
    root = default_state_dir(config.environment());
  }
  return Layout{fs::absolute(root)};
}

// Runs a server program, as the server user when we are root.
core::ProcessResult run_as(const ServerUser& user,
                           std::vector<std::string> argv,
                           const core::Context& context,
                           core::Milliseconds timeout = 60s) {
  if (!user.name.empty()) {
    argv.insert(argv.begin(), {"runuser", "-u", user.name, "--"});
  }
  context.log.debug(fmt::format("dev: running {}", fmt::join(argv, " ")));
  core::ProcessSpec spec{std::move(argv), core::base_environment(), "/", "", timeout};
  spec.environment.emplace_back("LC_ALL=C.UTF-8");
  return core::run_process(spec);
}

void require_success(const core::ProcessResult& result, std::string_view what) {
  if (result.exit_code != 0) {
    auto output = result.standard_error.empty() ? result.standard_output : result.standard_error;
    core::throw_failed(fmt::format("dev: {} failed (exit {}): {}", what, result.exit_code, output));
  }
}

void make_directory(const fs::path& path, const ServerUser& user, fs::perms perms) {
  fs::create_directories(path);
  fs::permissions(path, perms);
  if (!user.name.empty() && ::chown(path.c_str(), user.uid, user.gid) != 0) {
    core::throw_failed(fmt::format("dev: cannot give {} to {}", path.string(), user.name));
  }
}

// Writes a file the server user must read (a password for initdb, redis.conf).
void write_server_file(const fs::path& path, const std::string& content, const ServerUser& user) {
  core::atomic_write(path, content, 0600);
  if (!user.name.empty() && ::chown(path.c_str(), user.uid, user.gid) != 0) {
    core::throw_failed(fmt::format("dev: cannot give {} to {}", path.string(), user.name));
  }
}

bool process_alive(int pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
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

struct Recorded {
  int postgres_port = 0;
  int redis_port = 0;
  std::string run_as;
};

std::optional<Recorded> read_state(const Layout& layout) {
  std::error_code error;
  if (!fs::exists(layout.state_file(), error)) {
    return std::nullopt;
  }
  auto json =
      nlohmann::json::parse(core::read_file(layout.state_file(), "dev state"), nullptr, false);
  if (json.is_discarded()) {
    core::throw_failed(fmt::format("dev: {} is not valid JSON", layout.state_file().string()));
  }
  return Recorded{json.value("postgres_port", 0),
                  json.value("redis_port", 0),
                  json.value("run_as", std::string())};
}

DevResult describe(const Layout& layout, const Recorded& recorded, std::string action) {
  DevResult result;
  result.action = std::move(action);
  result.state_dir = layout.root;
  result.config_file = layout.config_file();
  result.run_as = recorded.run_as;
  int postgres_pid = read_pid(layout.postgres_data() / "postmaster.pid");
  int redis_pid = read_pid(layout.redis_pid());
  result.servers.push_back({"postgres",
                            fmt::format("127.0.0.1:{}", recorded.postgres_port),
                            postgres_pid,
                            process_alive(postgres_pid)});
  result.servers.push_back({"redis",
                            fmt::format("127.0.0.1:{}", recorded.redis_port),
                            redis_pid,
                            process_alive(redis_pid)});
  return result;
}

bool all_running(const DevResult& result) {
  return std::all_of(result.servers.begin(), result.servers.end(), [](const auto& server) {
    return server.running;
  });
}

void start_postgres(const Layout& layout,
                    const ServerUser& user,
                    const fs::path& bin,
                    int port,
                    const core::Context& context) {
  auto log = layout.logs() / "postgres.log";
  if (!user.name.empty()) {
    core::atomic_write(log, "", 0640);
    if (::chown(log.c_str(), user.uid, user.gid) != 0) {
      core::throw_failed("dev: cannot prepare the PostgreSQL log");
    }
  }
  auto options =
      fmt::format("-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
                  port,
                  layout.sockets().string());
  require_success(run_as(user,
                         {(bin / "pg_ctl").string(),
                          "-D",
                          layout.postgres_data().string(),
                          "-l",
                          log.string(),
                          "-o",
                          options,
                          "-w",
                          "-t",
                          "60",
                          "start"},
                         context),
                  "pg_ctl start");
}

void start_redis(const Layout& layout,
                 const ServerUser& user,
                 const std::string& program,
                 int port,
                 const std::string& password,
                 const core::Context& context) {
  auto conf = layout.redis_dir() / "redis.conf";
  write_server_file(conf,
                    fmt::format("port {}\nbind 127.0.0.1\nprotected-mode yes\ndaemonize yes\n"
                                "pidfile {}\nlogfile {}\ndir {}\nrequirepass {}\nsave \"\"\n"
                                "appendonly no\n",
                                port,
                                layout.redis_pid().string(),
                                (layout.redis_dir() / "redis.log").string(),
                                layout.redis_dir().string(),
                                password),
                    user);
  require_success(run_as(user, {program, conf.string()}, context), "redis-server");
  core::redis::Settings settings;
  settings.endpoint.port = port;
  settings.endpoint.password = password;
  settings.connect_timeout = 1s;
  for (int attempt = 0;; ++attempt) {
    try {
      core::redis::Client client(settings);
      client.command({"PING"});
      return;
    } catch (const core::Error& error) {
      if (attempt >= 100) {
        core::throw_failed(fmt::format("dev: redis did not come up: {}", error.what()));
      }
      std::this_thread::sleep_for(100ms);
    }
  }
}

} // namespace

DevResult run_dev_up(const DevOptions& options, core::Context& context) {
  const auto& config = context.config;
  auto layout = layout_for(options, config);
  auto user = server_user();
  fs::path bin = config.text("dev.postgres_bin_dir");
  if (::access((bin / "initdb").c_str(), X_OK) != 0) {
    core::throw_usage(fmt::format("dev.postgres_bin_dir: no initdb in '{}' (install postgresql-15)",
                                  bin.string()));
  }
  auto redis_program = config.text("dev.redis_server");
  if (redis_program.find('/') == std::string::npos) {
    auto found = core::find_program(redis_program);
    if (found.empty()) {
      core::throw_usage(fmt::format("dev.redis_server: '{}' is not on PATH (install redis-server)",
                                    redis_program));
    }
    redis_program = found.string();
  }

  fs::create_directories(layout.root);
  core::FileLock lock(layout.root / ".lock", 60s);
  if (auto recorded = read_state(layout)) {
    auto current = describe(layout, *recorded, "up");
    if (all_running(current)) {
      current.already = true;
      return current;
    }
    // Recorded but stopped (a reboot): start the same servers again.
    if (!current.servers[0].running) {
      start_postgres(layout, user, bin, recorded->postgres_port, context);
    }
    if (!current.servers[1].running) {
      auto password = core::read_secret_file(layout.redis_password(), "dev redis password");
      start_redis(layout, user, redis_program, recorded->redis_port, password, context);
    }
    return describe(layout, *recorded, "up");
  }

  fs::permissions(layout.root,
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  make_directory(layout.root / "postgres", user, fs::perms::owner_all);
  make_directory(layout.sockets(), user, fs::perms::owner_all);
  make_directory(layout.redis_dir(), user, fs::perms::owner_all);
  make_directory(
      layout.logs(), user, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);

  auto database_password = core::random_hex(16);
  auto redis_password = core::random_hex(16);
  core::atomic_write(layout.database_password(), database_password + "\n", 0600);
  core::atomic_write(layout.redis_password(), redis_password + "\n", 0600);

  // initdb reads the superuser password from a file, never from argv.
  auto password_file = layout.root / "postgres" / "initdb.password";
  write_server_file(password_file, database_password + "\n", user);
  auto initdb = run_as(user,
                       {(bin / "initdb").string(),
                        "-D",
                        layout.postgres_data().string(),
                        "-U",
                        "golfops",
                        "--auth=scram-sha-256",
                        "--pwfile=" + password_file.string(),
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                        "--no-sync"},
                       context);
  fs::remove(password_file);
  require_success(initdb, "initdb");

  Recorded recorded{core::net::free_loopback_port(), core::net::free_loopback_port(), user.name};
  start_postgres(layout, user, bin, recorded.postgres_port, context);
  start_redis(layout, user, redis_program, recorded.redis_port, redis_password, context);

  core::pg::Settings settings;
  settings.conninfo.set("host", "127.0.0.1");
  settings.conninfo.set("port", std::to_string(recorded.postgres_port));
  settings.conninfo.set("user", "golfops");
  settings.conninfo.set("password", database_password);
  settings.conninfo.set("dbname", "postgres");
  core::pg::Client(settings).execute("CREATE DATABASE golf");

  core::atomic_write(
      layout.config_file(),
      fmt::format("# Written by `golfops dev up`: a throwaway PostgreSQL and Redis.\n"
                  "# Use it with: export GOLFOPS_CONFIG={}\n\n"
                  "[database]\nurl = \"postgres://golfops@127.0.0.1:{}/golf\"\n"
                  "password_file = \"{}\"\n\n"
                  "[redis]\nurl = \"redis://127.0.0.1:{}/0\"\npassword_file = \"{}\"\n",
                  layout.config_file().string(),
                  recorded.postgres_port,
                  layout.database_password().string(),
                  recorded.redis_port,
                  layout.redis_password().string()),
      0600);
  core::atomic_write(layout.state_file(),
                     nlohmann::json{{"postgres_port", recorded.postgres_port},
                                    {"redis_port", recorded.redis_port},
                                    {"run_as", recorded.run_as}}
                             .dump(2) +
                         "\n",
                     0644);
  return describe(layout, recorded, "up");
}

DevResult run_dev_down(const DevOptions& options, core::Context& context) {
  auto layout = layout_for(options, context.config);
  auto recorded = read_state(layout);
  if (!recorded) {
    DevResult result{"down", layout.root, {}, {}, {}, true};
    return result;
  }
  auto user = server_user();
  auto before = describe(layout, *recorded, "down");
  fs::path bin = context.config.text("dev.postgres_bin_dir");
  if (before.servers[0].running) {
    require_success(run_as(user,
                           {(bin / "pg_ctl").string(),
                            "-D",
                            layout.postgres_data().string(),
                            "-m",
                            "fast",
                            "-w",
                            "stop"},
                           context),
                    "pg_ctl stop");
  }
  if (int pid = before.servers[1].pid; before.servers[1].running) {
    ::kill(pid, SIGTERM);
    for (int waited = 0; process_alive(pid) && waited < 100; ++waited) {
      std::this_thread::sleep_for(100ms);
    }
  }
  auto after = describe(layout, *recorded, "down");
  after.already = !before.servers[0].running && !before.servers[1].running;
  if (options.purge) {
    fs::remove_all(layout.root);
  }
  return after;
}

DevResult run_dev_status(const DevOptions& options, core::Context& context) {
  auto layout = layout_for(options, context.config);
  auto recorded = read_state(layout);
  if (!recorded) {
    return DevResult{"status", layout.root, {}, {}, {}, false};
  }
  return describe(layout, *recorded, "status");
}

core::output::Report render(const DevResult& result) {
  using Tone = core::output::Table::Tone;
  core::output::Report report;
  report.json = {{"action", result.action},
                 {"state_dir", result.state_dir.string()},
                 {"config_file",
                  result.config_file.empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json(result.config_file.string())},
                 {"run_as", result.run_as},
                 {"already", result.already}};
  auto& servers = report.json["servers"] = nlohmann::json::array();
  core::output::Table table({"server", "address", "pid", "state"});
  for (const auto& server : result.servers) {
    servers.push_back({{"name", server.name},
                       {"address", server.address},
                       {"pid", server.pid},
                       {"running", server.running}});
    table.add_row(
        {{server.name},
         {server.address},
         {server.pid > 0 ? std::to_string(server.pid) : "-"},
         {server.running ? "running" : "stopped", server.running ? Tone::good : Tone::dim}});
  }
  if (!table.empty()) {
    report.tables.push_back(std::move(table));
  }
  if (result.servers.empty()) {
    report.notes.push_back(fmt::format("no dev environment in {} (start one with: golfops dev up)",
                                       result.state_dir.string()));
  } else if (result.action != "down") {
    report.notes.push_back(fmt::format("export GOLFOPS_CONFIG={}", result.config_file.string()));
  } else {
    report.notes.push_back(result.already ? "already stopped" : "stopped");
  }
  return report;
}

} // namespace golfops::commands::dev
