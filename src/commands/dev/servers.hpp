#pragma once

#include "core/context.hpp"
#include "core/proc.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

// The PostgreSQL and Redis servers of `golfops dev`: starting them without a
// shell, and stopping them only while their pids are still theirs.
namespace golfops::commands::dev {

// The layout of a state directory.
struct Layout {
  std::filesystem::path root;
  std::filesystem::path postgres_data() const { return root / "postgres" / "data"; }
  // golfops' server settings, included from postgresql.conf.
  std::filesystem::path postgres_conf() const { return postgres_data() / "golfops-dev.conf"; }
  std::filesystem::path postgres_pid() const { return postgres_data() / "postmaster.pid"; }
  std::filesystem::path redis_dir() const { return root / "redis"; }
  std::filesystem::path sockets() const { return root / "postgres" / "run"; }
  std::filesystem::path logs() const { return root / "log"; }
  std::filesystem::path state_file() const { return root / "dev.json"; }
  std::filesystem::path config_file() const { return root / "golfops.toml"; }
  std::filesystem::path database_password() const { return root / "postgres.password"; }
  std::filesystem::path redis_password() const { return root / "redis.password"; }
  std::filesystem::path redis_pid() const { return redis_dir() / "redis.pid"; }
  std::filesystem::path redis_log() const { return redis_dir() / "redis.log"; }
  std::filesystem::path lock_file() const { return root / ".lock"; }
};

// Servers run as this user when golfops runs as root: initdb refuses root.
struct ServerUser {
  std::string name; // empty: run as ourselves
  uid_t uid = 0;
  gid_t gid = 0;
};

// Ourselves, or the 'postgres' user when we are root (Error(usage) without one).
ServerUser server_user();

// A server program to run: always an argv, never a shell line.
struct Program {
  std::vector<std::string> argv;
  std::filesystem::path working_directory = "/";
  std::vector<std::string> environment = {}; // added to the base environment
};

// Runs a server program, as the server user when we are root.
core::ProcessResult run_as(const ServerUser& user, Program program, const core::Context& context);

// Throws Error(failed) naming `step`, its exit status and the last line it
// wrote, then `hint`, unless it succeeded.
void require_success(const core::ProcessResult& result,
                     std::string_view step,
                     std::string_view hint = {});

// Directories and files the server user must reach (given to it when we are root).
void make_directory(const std::filesystem::path& path,
                    const ServerUser& user,
                    std::filesystem::perms perms);
void write_server_file(const std::filesystem::path& path,
                       const std::string& content,
                       const ServerUser& user);

// The pid in a pid file's first line; 0 when there is none.
int read_pid(const std::filesystem::path& path);

// Whether the pid in a server's pid file is still the server golfops started.
enum class Identity {
  ours,    // alive, named like the server, working in the server's directory
  other,   // gone, or a different process that was given the pid later
  unknown, // named like the server, but its directory cannot be read
};
Identity postgres_identity(const Layout& layout, const ServerUser& user);
Identity redis_identity(const Layout& layout, const ServerUser& user);

// PostgreSQL. pg_ctl hands its -o options and its -D and -l paths to a shell,
// so golfops gives it none of them; check_postgres_bin_dir refuses (usage) a
// directory whose path the shell would interpret, as pg_ctl and initdb put
// the postgres binary's path into their shell lines.
void check_postgres_bin_dir(const std::filesystem::path& bin);
// Adds `include 'golfops-dev.conf'` to a new cluster's postgresql.conf.
void include_postgres_conf(const Layout& layout, const ServerUser& user);
// Writes golfops-dev.conf: the port, 127.0.0.1 and the socket directory.
void write_postgres_conf(const Layout& layout,
                         const ServerUser& user,
                         int port,
                         const core::Context& context);
void start_postgres(const Layout& layout,
                    const ServerUser& user,
                    const std::filesystem::path& bin,
                    const core::Context& context);
// A new cluster on a free port, trying another port when someone else took it
// between choosing and binding. Returns the port.
int start_new_postgres(const Layout& layout,
                       const ServerUser& user,
                       const std::filesystem::path& bin,
                       const core::Context& context);
// pg_ctl stop (-m `mode`), only while postmaster.pid names our postmaster:
// pg_ctl itself would signal whatever pid the file holds.
void stop_postgres(const Layout& layout,
                   const ServerUser& user,
                   const std::filesystem::path& bin,
                   std::string_view mode,
                   const core::Context& context);

// Redis. Whether our Redis answers PING on `port`: only it knows the password.
bool redis_answers(int port, const std::string& password, const core::Context& context);
// Writes redis.conf (values quoted for Redis), starts `program` with it and
// waits until it answers; a server that started but stays silent is stopped.
void start_redis(const Layout& layout,
                 const ServerUser& user,
                 const std::string& program,
                 int port,
                 const std::string& password,
                 const core::Context& context);
// start_redis on a free port, trying another port when someone else took it.
int start_new_redis(const Layout& layout,
                    const ServerUser& user,
                    const std::string& program,
                    const std::string& password,
                    const core::Context& context);
// An authenticated SHUTDOWN NOSAVE, which reaches our server and nothing
// else; SIGTERM only to a pid that is still ours. Returns whether there was a
// server to stop; throws Error(failed) when it did not stop.
bool stop_redis(const Layout& layout,
                const ServerUser& user,
                int port,
                const core::Context& context);

} // namespace golfops::commands::dev
