#include "commands/dev/dev.hpp"

#include "commands/dev/quote.hpp"
#include "commands/dev/servers.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/client.hpp"

#include <fmt/format.h>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <toml++/toml.h>
#include <unistd.h>

namespace golfops::commands::dev {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

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
  std::string label = "--state-dir";
  if (root.empty() && config.is_set("dev.state_dir")) {
    root = config.text("dev.state_dir");
    label = core::config::value_label(config.value("dev.state_dir"), "dev.state_dir");
  }
  if (root.empty()) {
    root = default_state_dir(config.environment());
    label = "the default state directory";
  }
  std::error_code error;
  if (fs::exists(root, error) && !fs::is_directory(root, error)) {
    core::throw_usage(
        fmt::format("{}: '{}' is not a directory (expected where `golfops dev` keeps its servers)",
                    label,
                    root.string()));
  }
  return Layout{fs::absolute(root)};
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

DevResult describe(const Layout& layout,
                   const Recorded& recorded,
                   const ServerUser& user,
                   std::string action) {
  DevResult result;
  result.action = std::move(action);
  result.state_dir = layout.root;
  result.config_file = layout.config_file();
  result.run_as = recorded.run_as;
  result.servers.push_back({"postgres",
                            fmt::format("127.0.0.1:{}", recorded.postgres_port),
                            read_pid(layout.postgres_pid()),
                            postgres_identity(layout, user) != Identity::other});
  result.servers.push_back({"redis",
                            fmt::format("127.0.0.1:{}", recorded.redis_port),
                            read_pid(layout.redis_pid()),
                            redis_identity(layout, user) != Identity::other});
  return result;
}

bool all_running(const DevResult& result) {
  return std::all_of(result.servers.begin(), result.servers.end(), [](const auto& server) {
    return server.running;
  });
}

// --- dev up --------------------------------------------------------------------

// What a `dev up` has done so far, undone newest first when a later step
// fails: no server keeps running and no half-made cluster blocks the next up.
class Rollback {
public:
  void add(std::string done, std::function<void()> undo) {
    m_steps.push_back({std::move(done), std::move(undo)});
  }

  // Undoes the steps, newest first, and returns a clause for the error
  // message. It stops at a step that cannot be undone: the older ones (a data
  // directory under a server that still runs) must stay.
  std::string run() {
    std::vector<std::string> done;
    std::string clause;
    for (auto step = m_steps.rbegin(); step != m_steps.rend(); ++step) {
      try {
        step->undo();
        done.push_back(step->done);
      } catch (const std::exception& error) {
        clause = fmt::format("; could not undo: {}", error.what());
        break;
      }
    }
    m_steps.clear();
    return (done.empty() ? "" : fmt::format("; {}", fmt::join(done, ", "))) + clause;
  }

private:
  struct Step {
    std::string done;
    std::function<void()> undo;
  };
  std::vector<Step> m_steps;
};

std::string config_text(const Layout& layout, const Recorded& recorded) {
  // toml++ writes the strings, escaped: a path may hold quotes or backslashes.
  toml::table config{
      {"database",
       toml::table{
           {"url", fmt::format("postgres://golfops@127.0.0.1:{}/golf", recorded.postgres_port)},
           {"password_file", layout.database_password().string()}}},
      {"redis",
       toml::table{{"url", fmt::format("redis://127.0.0.1:{}/0", recorded.redis_port)},
                   {"password_file", layout.redis_password().string()}}}};
  std::ostringstream out;
  out << "# Written by `golfops dev up`: a throwaway PostgreSQL and Redis.\n"
         "# Use it with: export GOLFOPS_CONFIG=<this file>\n\n"
      << config << "\n";
  return out.str();
}

struct Up {
  const Layout& layout;
  const ServerUser& user;
  const fs::path& bin;
  const std::string& redis_program;
  core::Context& context;
  Rollback& rollback;

  void postgres_started() {
    rollback.add("stopped PostgreSQL",
                 [this] { stop_postgres(layout, user, bin, "fast", context); });
  }
  void redis_started(int port) {
    rollback.add("stopped Redis", [this, port] { stop_redis(layout, user, port, context); });
  }

  // Recorded but stopped (a reboot, `dev down`): start the same servers again.
  DevResult restart(const Recorded& recorded, const DevResult& current) {
    if (!current.servers[0].running) {
      // Left by a crash, naming a pid someone else has now: PostgreSQL would
      // refuse to start while that process lives.
      std::error_code error;
      fs::remove(layout.postgres_pid(), error);
      if (!fs::exists(layout.postgres_conf())) {
        // A state directory from a golfops that passed the port with pg_ctl -o.
        write_postgres_conf(layout, user, recorded.postgres_port, context);
        include_postgres_conf(layout, user);
      }
      start_postgres(layout, user, bin, context);
      postgres_started();
    }
    auto password = core::read_secret_file(layout.redis_password(), "dev redis password");
    if (!current.servers[1].running && !redis_answers(recorded.redis_port, password, context)) {
      start_redis(layout, user, redis_program, recorded.redis_port, password, context);
      redis_started(recorded.redis_port);
    }
    return describe(layout, recorded, user, "up");
  }

  DevResult fresh() {
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
                         {{(bin / "initdb").string(),
                           "-D",
                           layout.postgres_data().string(),
                           "-U",
                           "golfops",
                           "--auth=scram-sha-256",
                           "--pwfile=" + password_file.string(),
                           "-E",
                           "UTF8",
                           "--locale=C.UTF-8",
                           "--no-sync"}},
                         context);
    fs::remove(password_file);
    require_success(initdb, "initdb");
    rollback.add("removed the new data directory",
                 [this] { fs::remove_all(layout.postgres_data()); });
    include_postgres_conf(layout, user);

    Recorded recorded;
    recorded.run_as = user.name;
    recorded.postgres_port = start_new_postgres(layout, user, bin, context);
    postgres_started();
    recorded.redis_port = start_new_redis(layout, user, redis_program, redis_password, context);
    redis_started(recorded.redis_port);

    core::pg::Settings settings;
    settings.conninfo.set("host", "127.0.0.1");
    settings.conninfo.set("port", std::to_string(recorded.postgres_port));
    settings.conninfo.set("user", "golfops");
    settings.conninfo.set("password", database_password);
    settings.conninfo.set("dbname", "postgres");
    core::pg::Client(settings).execute("CREATE DATABASE golf");

    core::atomic_write(layout.config_file(), config_text(layout, recorded), 0600);
    core::atomic_write(layout.state_file(),
                       nlohmann::json{{"postgres_port", recorded.postgres_port},
                                      {"redis_port", recorded.redis_port},
                                      {"run_as", recorded.run_as}}
                               .dump(2) +
                           "\n",
                       0644);
    return describe(layout, recorded, user, "up");
  }
};

// --- dev down ------------------------------------------------------------------

// --purge deletes databases: --yes, or a person at the terminal who says yes.
void confirm_purge(const DevOptions& options, const Layout& layout, core::Context& context) {
  if (options.yes) {
    return;
  }
  auto what = fmt::format("dev down --purge deletes {} and the databases in it",
                          shell_quote(layout.root.string()));
  if (!context.confirm.interactive()) {
    core::throw_refused(fmt::format("{}: pass --yes to confirm (stdin is not a terminal)", what));
  }
  if (!context.confirm.ask(fmt::format("golfops: {}. Continue?", what))) {
    core::throw_refused("dev down --purge: not confirmed, nothing was changed");
  }
}

// Deletes what `dev up` wrote, and the directory itself once it is empty: a
// state directory the user shares with other files keeps them.
void purge(const Layout& layout, const core::Context& context) {
  for (const auto& path : {layout.root / "postgres",
                           layout.redis_dir(),
                           layout.logs(),
                           layout.database_password(),
                           layout.redis_password(),
                           layout.config_file(),
                           layout.state_file(),
                           layout.lock_file()}) {
    fs::remove_all(path);
  }
  std::error_code error;
  if (!fs::remove(layout.root, error) && error) {
    context.log.info(
        fmt::format("dev: kept {}: it holds files golfops did not write", layout.root.string()));
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
  check_postgres_bin_dir(bin);
  auto redis_program = config.text("dev.redis_server");
  if (redis_program.find('/') == std::string::npos) {
    auto found = core::find_program(redis_program);
    if (found.empty()) {
      core::throw_usage(fmt::format("dev.redis_server: '{}' is not on PATH (install redis-server)",
                                    redis_program));
    }
    redis_program = found.string();
  }

  try {
    fs::create_directories(layout.root);
  } catch (const fs::filesystem_error& error) {
    core::throw_failed(
        fmt::format("dev up: cannot create {}: {}", layout.root.string(), error.code().message()));
  }
  core::FileLock lock(layout.lock_file(), 60s);
  Rollback rollback; // runs while the lock is still held
  // Outside the try: the rollback's steps refer to it when they run in the
  // handlers below.
  Up up{layout, user, bin, redis_program, context, rollback};
  try {
    if (auto recorded = read_state(layout)) {
      auto current = describe(layout, *recorded, user, "up");
      if (all_running(current)) {
        current.already = true;
        return current;
      }
      return up.restart(*recorded, current);
    }
    return up.fresh();
  } catch (const core::Error& error) {
    throw core::Error(error.code(), fmt::format("dev up: {}{}", error.what(), rollback.run()));
  } catch (const std::exception& error) {
    throw core::Error(core::ExitCode::failed,
                      fmt::format("dev up: {}{}", error.what(), rollback.run()));
  }
}

DevResult run_dev_down(const DevOptions& options, core::Context& context) {
  auto layout = layout_for(options, context.config);
  auto recorded = read_state(layout);
  if (!recorded) {
    DevResult result{"down", layout.root, {}, {}, {}, true};
    return result;
  }
  if (options.purge) {
    confirm_purge(options, layout, context);
  }
  core::FileLock lock(layout.lock_file(), 60s);
  auto user = server_user();
  auto before = describe(layout, *recorded, user, "down");
  fs::path bin = context.config.text("dev.postgres_bin_dir");
  std::vector<std::string> failures;
  bool stopped = false;
  if (before.servers[0].running) {
    try {
      stop_postgres(layout, user, bin, "fast", context);
      stopped = true;
    } catch (const core::Error& error) {
      failures.push_back(fmt::format("PostgreSQL: {}", error.what()));
    }
  }
  // Also when its pid file names no Redis of ours: the authenticated
  // SHUTDOWN reaches only ours, and a refused connection costs nothing.
  try {
    stopped = stop_redis(layout, user, recorded->redis_port, context) || stopped;
  } catch (const core::Error& error) {
    failures.push_back(fmt::format("Redis: {}", error.what()));
  }
  if (!failures.empty()) {
    core::throw_failed(fmt::format("dev down: could not stop {}", fmt::join(failures, "; ")));
  }
  auto after = describe(layout, *recorded, user, "down");
  after.already = !stopped;
  if (options.purge) {
    purge(layout, context);
  }
  return after;
}

DevResult run_dev_status(const DevOptions& options, core::Context& context) {
  auto layout = layout_for(options, context.config);
  auto recorded = read_state(layout);
  if (!recorded) {
    return DevResult{"status", layout.root, {}, {}, {}, false};
  }
  return describe(layout, *recorded, server_user(), "status");
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
    report.notes.push_back(
        fmt::format("export GOLFOPS_CONFIG={}", shell_quote(result.config_file.string())));
  } else {
    report.notes.push_back(result.already ? "already stopped" : "stopped");
  }
  return report;
}

} // namespace golfops::commands::dev
