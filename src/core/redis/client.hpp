#pragma once

#include "core/net.hpp"
#include "core/redis/endpoint.hpp"
#include "core/units.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace golfops::core::config {
class Config;
}

namespace golfops::core::redis {

// How golfops connects to Redis.
struct Settings {
  Endpoint endpoint;
  Milliseconds connect_timeout{5000};
  Milliseconds command_timeout{5000};
  std::string tls_ca_file;
};

// Settings from redis.* keys (URL, password_file or ?password_file=, timeouts).
Settings settings_from(const config::Config& config);

// A reply, copied out of hiredis' tree so it owns its data.
struct Reply {
  enum class Type { string, status, integer, nil, array, error };
  Type type = Type::nil;
  std::string text; // string, status and error replies
  std::int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
};

using Command = std::vector<std::string>;

// A Lua script run by EVALSHA, falling back to EVAL when the server answers
// NOSCRIPT (after a restart or SCRIPT FLUSH).
struct Script {
  explicit Script(std::string source);
  std::string source;
  std::string sha1;
};

// A Redis connection over golfops' own socket (plain or TLS) with hiredis as
// the protocol codec. Connect and command deadlines are enforced on every call.
class Client {
public:
  // Connects, authenticates (password-only AUTH for an empty user) and
  // selects the database. Throws Error(unreachable) naming host:port.
  explicit Client(const Settings& settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command; an error reply throws Error(failed).
  Reply command(const Command& command);
  // Sends all commands in one write and reads every reply (errors included,
  // in order): one round trip for the lot.
  std::vector<Reply> pipeline(const std::vector<Command>& commands);
  // EVALSHA with NOSCRIPT fallback; an error reply throws Error(failed).
  Reply eval(const Script& script,
             const std::vector<std::string>& keys,
             const std::vector<std::string>& arguments);

  const std::string& address() const { return m_address; }

private:
  std::vector<Reply> exchange(const std::vector<Command>& commands);

  std::string m_address;
  Milliseconds m_command_timeout;
  std::unique_ptr<net::Stream> m_stream;
  struct Reader;
  std::unique_ptr<Reader> m_reader;
};

} // namespace golfops::core::redis
