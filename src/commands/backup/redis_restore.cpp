#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "commands/backup/restore_archive.hpp"
#include "commands/backup/transfer.hpp"
#include "core/cancel.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/redis/client.hpp"
#include "core/strings.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace golfops::commands::backup {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t total_keys(const std::string& keyspace) {
  std::uint64_t keys = 0;
  for (const auto& line : core::split(keyspace, '\n')) {
    if (auto at = line.find("keys="); line.starts_with("db") && at != std::string::npos) {
      keys += std::stoull(line.substr(at + 5));
    }
  }
  return keys;
}

// A one-shot replication master on this host: the target Redis connects to
// it as a replica and receives the backup's RDB as its full sync. Redis
// itself then flushes its data and loads the snapshot (atomically, from a
// temporary file), which works for a server on another host and needs no
// access to its disk or a restart.
class SnapshotMaster {
public:
  explicit SnapshotMaster(const std::string& ip) {
    bool v6 = ip.find(':') != std::string::npos;
    m_listener = core::UniqueFd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_storage address{};
    socklen_t length = 0;
    int parsed = 0;
    if (v6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      parsed = ::inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr);
      length = sizeof *in6;
    } else {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
      in4->sin_family = AF_INET;
      parsed = ::inet_pton(AF_INET, ip.c_str(), &in4->sin_addr);
      length = sizeof *in4;
    }
    if (parsed != 1) {
      core::throw_failed(fmt::format("cannot listen for the restore: '{}' is not this host's "
                                     "address towards Redis",
                                     ip));
    }
    if (!m_listener ||
        ::bind(m_listener.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_listener.get(), 1) != 0 ||
        ::getsockname(m_listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      core::throw_failed(
          fmt::format("cannot listen on {} for the restore: {}", ip, std::strerror(errno)));
    }
    m_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }

  int port() const { return m_port; }

  // Waits for the replica, answers its handshake, and sends "+FULLRESYNC"
  // and the RDB's size; the caller streams the RDB with send().
  // Only the target may connect: the RDB is the backup's data. Anyone
  // else is turned away and the wait goes on.
  void
  accept_replica(const std::string& target_ip, std::uint64_t rdb_size, Clock::time_point deadline) {
    while (!m_replica) {
      std::vector<pollfd> waiting{pollfd{m_listener.get(), POLLIN, 0}};
      if (core::poll_cancellable(waiting, core::milliseconds_until(deadline)) <= 0) {
        core::throw_failed(fmt::format("the target Redis did not connect back to golfops for the "
                                       "restore (can {} reach this host?)",
                                       target_ip));
      }
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      core::UniqueFd connection(
          ::accept4(m_listener.get(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC));
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw =
          peer.ss_family == AF_INET6
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
      if (connection && ::inet_ntop(peer.ss_family, raw, text, sizeof text) != nullptr &&
          target_ip == text) {
        m_replica = std::move(connection);
      }
    }
    // PING, AUTH, REPLCONF ... are acknowledged; PSYNC/SYNC starts the transfer.
    while (true) {
      auto words = read_command(deadline);
      if (words.empty()) {
        continue;
      }
      auto verb = words.front();
      for (auto& c : verb) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      if (verb == "PING") {
        send("+PONG\r\n");
      } else if (verb == "PSYNC" || verb == "SYNC") {
        if (verb == "PSYNC") {
          send(fmt::format("+FULLRESYNC {} 0\r\n", core::random_hex(20)));
        }
        send(fmt::format("${}\r\n", rdb_size));
        return;
      } else {
        send("+OK\r\n");
      }
    }
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      auto sent = ::send(m_replica.get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
        std::vector<pollfd> waiting{pollfd{m_replica.get(), POLLOUT, 0}};
        if (core::poll_cancellable(waiting, 60000) == 0) {
          core::throw_failed("the target Redis stopped reading the snapshot");
        }
        continue;
      }
      if (sent < 0) {
        core::throw_failed(fmt::format("sending the snapshot: {}", std::strerror(errno)));
      }
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // Reads and drops what the replica sends (REPLCONF ACK every second).
  void drain() {
    char buffer[4096];
    while (::recv(m_replica.get(), buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
  }

private:
  // One command from the replica: a RESP array of bulk strings, or an
  // inline line.
  std::vector<std::string> read_command(Clock::time_point deadline) {
    while (true) {
      if (auto words = parse(); words) {
        return *words;
      }
      std::vector<pollfd> waiting{pollfd{m_replica.get(), POLLIN, 0}};
      if (core::poll_cancellable(waiting, core::milliseconds_until(deadline)) <= 0) {
        core::throw_failed("the target Redis stopped in the replication handshake");
      }
      char buffer[4096];
      auto got = ::recv(m_replica.get(), buffer, sizeof buffer, 0);
      if (got <= 0) {
        core::throw_failed("the target Redis closed the replication link during the handshake");
      }
      m_pending.append(buffer, static_cast<std::size_t>(got));
    }
  }

  std::optional<std::vector<std::string>> parse() {
    auto line_end = m_pending.find("\r\n");
    if (line_end == std::string::npos) {
      return std::nullopt;
    }
    if (m_pending.front() != '*') {
      auto line = m_pending.substr(0, line_end);
      m_pending.erase(0, line_end + 2);
      return core::split(line, ' ');
    }
    std::size_t at = line_end + 2;
    auto count = number(m_pending.substr(1, line_end - 1));
    std::vector<std::string> words;
    for (std::size_t index = 0; index < count; ++index) {
      auto end = m_pending.find("\r\n", at);
      if (end == std::string::npos || m_pending[at] != '$') {
        return std::nullopt;
      }
      auto length = number(m_pending.substr(at + 1, end - at - 1));
      if (end + 2 + length + 2 > m_pending.size()) {
        return std::nullopt;
      }
      words.push_back(m_pending.substr(end + 2, length));
      at = end + 2 + length + 2;
    }
    m_pending.erase(0, at);
    return words;
  }

  // A length in the replica's commands; garbage ends the restore cleanly.
  static std::size_t number(const std::string& text) {
    std::size_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value > (1U << 20)) {
      core::throw_failed(fmt::format("the replication handshake sent '{}' where a length belongs",
                                     text.substr(0, 20)));
    }
    return value;
  }

  core::UniqueFd m_listener;
  core::UniqueFd m_replica;
  int m_port = 0;
  std::string m_pending;
};

// Makes the target a master again; true once it is. Runs after errors and
// SIGINT too (shielded, bounded): a target left replicating from a golfops
// that is gone would refuse writes and retry forever. While Redis is still
// loading the snapshot it refuses REPLICAOF (LOADING): asked again until it
// accepts, for up to two minutes.
bool detach(const core::redis::Settings& settings, core::Context& context) {
  core::CancellationShield shield;
  auto deadline = Clock::now() + std::chrono::minutes(2);
  std::string last;
  while (Clock::now() < deadline) {
    try {
      auto bounded = settings;
      bounded.deadline = core::net::deadline_after(core::Milliseconds(5000));
      core::redis::Client client(bounded);
      auto reply = client.pipeline({{"REPLICAOF", "NO", "ONE"}}).front();
      if (!reply.is_error()) {
        return true;
      }
      last = reply.text;
      if (reply.error_code() != "LOADING") {
        break;
      }
    } catch (const core::Error& error) {
      last = error.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  context.log.error(fmt::format("the target Redis may still be a replica of golfops: run "
                                "REPLICAOF NO ONE on it ({})",
                                last));
  return false;
}

// Detaches the target on every way out of the restore, exceptions of any
// kind included, unless the restore detached it itself.
class DetachGuard {
public:
  DetachGuard(const core::redis::Settings& settings, core::Context& context)
      : m_settings(settings), m_context(context) {}
  ~DetachGuard() {
    if (m_armed) {
      detach(m_settings, m_context);
    }
  }
  DetachGuard(const DetachGuard&) = delete;
  DetachGuard& operator=(const DetachGuard&) = delete;
  bool detach_now() {
    m_armed = false;
    return detach(m_settings, m_context);
  }

private:
  const core::redis::Settings& m_settings;
  core::Context& m_context;
  bool m_armed = true;
};

} // namespace

RestoreResult run_redis_restore(const BackupOptions& options, core::Context& context) {
  auto manifest = find_backup(options, "redis", options.id);
  if (!is_redis_backup(manifest)) {
    core::throw_usage(fmt::format("ID: {} is not a Redis backup", manifest.id));
  }
  key_for(options, manifest); // a missing or wrong key stops it before anything changes
  auto settings = core::redis::settings_from(context.config);
  core::redis::Client target(settings);
  if (auto role = core::redis::info_field(target.command({"INFO", "replication"}).text, "role");
      role != "master") {
    core::throw_refused(fmt::format("Redis at {} is a {}: restore into its master, whose "
                                    "replicas then follow",
                                    target.address(),
                                    role));
  }
  auto keys = total_keys(target.command({"INFO", "keyspace"}).text);
  if (keys > 0) {
    context.confirm.require(
        options.yes,
        fmt::format("restore of Redis backup {} (every one of the {} keys there now is replaced)",
                    manifest.id,
                    keys),
        target.address());
  }
  // The checksum first: a damaged backup changes nothing.
  Throughput checking(context.progress, "checking " + manifest.id);
  require_checksum(manifest, read_backup(options, manifest, nullptr, checking).sha256);

  RestoreResult result;
  result.manifest = manifest;
  result.target_db = target.address();
  result.rows_loaded_by = "redis";
  auto started = Clock::now();
  SnapshotMaster master(target.local_ip());
  DetachGuard guard(settings, context);
  target.command({"REPLICAOF", target.local_ip(), std::to_string(master.port())});
  master.accept_replica(
      target.peer_ip(), manifest.bytes_in, Clock::now() + std::chrono::seconds(30));
  Throughput sending(context.progress, "restoring " + manifest.id + " into " + target.address());
  core::Sink to_replica = [&](std::string_view rdb) { master.send(rdb); };
  auto sent = read_backup(options, manifest, &to_replica, sending);
  if (!sent.archive_error.empty()) {
    core::throw_failed(fmt::format("backup {}: {}", manifest.id, sent.archive_error));
  }
  // Loaded once the link is up and no sync or load is in progress; a link
  // that stays down after the transfer means Redis refused the snapshot
  // (an RDB from a newer Redis, say).
  auto deadline = Clock::now() + std::chrono::minutes(30);
  auto down_since = Clock::time_point::max(); // max: the link is not down
  while (true) {
    master.drain();
    auto info = target.command({"INFO", "replication"}).text;
    auto loading = core::redis::info_field(target.command({"INFO", "persistence"}).text, "loading");
    auto link = core::redis::info_field(info, "master_link_status");
    auto syncing = core::redis::info_field(info, "master_sync_in_progress");
    if (link == "up" && syncing == "0" && loading == "0") {
      break;
    }
    if (link != "up" && syncing == "0" && loading == "0") {
      down_since = std::min(down_since, Clock::now());
      if (Clock::now() - down_since > std::chrono::seconds(5)) {
        core::throw_failed(fmt::format("Redis at {} did not load the snapshot (its replication "
                                       "link stayed down; see its log)",
                                       target.address()));
      }
    } else {
      down_since = Clock::time_point::max();
    }
    if (Clock::now() > deadline) {
      core::throw_failed("the target Redis did not finish loading the snapshot in 30 minutes");
    }
    context.cancel.sleep_for(core::Milliseconds(50));
  }
  if (!guard.detach_now()) {
    core::throw_failed(fmt::format("the snapshot was loaded, but Redis at {} is still a replica "
                                   "of golfops: run REPLICAOF NO ONE on it",
                                   target.address()));
  }
  auto keyspace = target.command({"INFO", "keyspace"}).text;
  for (auto table : manifest.tables) {
    auto line = core::redis::info_field(keyspace, table.name);
    auto at = line.find("keys=");
    table.restored = at == std::string::npos ? 0 : std::stoull(line.substr(at + 5));
    result.tables.push_back(table);
  }
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  context.progress.finish();
  return result;
}

} // namespace golfops::commands::backup
