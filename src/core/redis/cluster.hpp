#pragma once

#include "core/redis/client.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::redis {

// The Redis Cluster slot of a key (CRC16 of its hash tag, or of the whole
// key when it has none), 0 to 16383.
std::uint16_t key_slot(std::string_view key);

// One Redis, or a Redis Cluster reached through any of its nodes: commands
// go to the master that owns their key's slot, following MOVED (the slot
// moved for good: the map is updated) and ASK (it is moving: ASKING first)
// redirections, a bounded number of times. Not thread-safe: one per thread.
class Router {
public:
  // Connects to the configured server; asks it for the slot map when it
  // runs in cluster mode. Throws as Client does.
  explicit Router(Settings settings);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  bool cluster() const { return m_cluster; }

  // Runs `command` where `key` lives; an error reply throws Error(failed).
  Reply command(std::string_view key, const Command& command);
  // EVALSHA (EVAL after NOSCRIPT) where keys.front() lives.
  Reply eval(const Script& script,
             const std::vector<std::string>& keys,
             const std::vector<std::string>& arguments);
  // Sends `commands` in one round trip where `key` lives (a MULTI ... EXEC
  // on keys of one hash tag) and returns every reply, errors included.
  std::vector<Reply> pipeline(std::string_view key, const std::vector<Command>& commands);
  // The connection to the master that owns `key` (as the map says now: a
  // caller sending there itself must handle MOVED and ASK, or retry
  // through command() or eval()).
  Client& node_for(std::string_view key);
  // Every master (the one server when not a cluster), for SCAN and
  // commands that concern them all.
  std::vector<Client*> masters();
  // The server golfops was configured with.
  Client& seed() { return *m_seed; }
  // MOVED and ASK replies followed so far.
  std::uint64_t redirections() const { return m_redirections; }

private:
  // `fallback`, when set, is sent instead after a NOSCRIPT reply.
  std::vector<Reply> routed(std::string_view key,
                            const std::vector<Command>& commands,
                            const std::function<Command()>& fallback);
  Client& node(const std::string& address);
  // Where `address` is in m_addresses, added when new.
  std::uint16_t address_index(const std::string& address);
  void load_slots();

  Settings m_settings;
  std::unique_ptr<Client> m_seed_owner;
  Client* m_seed = nullptr;
  bool m_cluster = false;
  std::map<std::string, std::unique_ptr<Client>> m_nodes; // by "host:port"
  std::vector<std::string> m_addresses;                   // masters, in slot map order
  std::array<std::uint16_t, 16384> m_slot_owner{};        // index into m_addresses
  std::uint64_t m_redirections = 0;
};

} // namespace golfops::core::redis
