#pragma once

#include "core/net.hpp"
#include "core/redis/endpoint.hpp"
#include "core/units.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  // When set, no connect or command waits past it.
  std::optional<net::Deadline> deadline;
  // Where the password came from, named when AUTH is refused.
  std::string password_origin;
};

// Settings from redis.* keys (URL, password_file or ?password_file=, timeouts).
Settings settings_from(const config::Config& config);
// Settings for another server (a health check's own url): timeouts from
// redis.*, the password only from that URL. Empty `url_override`: redis.url.
Settings settings_from(const config::Config& config,
                       const std::string& url_override,
                       std::string_view origin);

// A reply, copied out of hiredis' tree so it owns its data.
struct Reply {
  enum class Type { string, status, integer, nil, array, error };
  Type type = Type::nil;
  std::string text; // string, status and error replies
  std::int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
  // The error's code, its first word by the protocol's convention
  // ("NOAUTH", "WRONGPASS", "ERR"); empty for other replies.
  std::string error_code() const;
};

using Command = std::vector<std::string>;

// A field of an INFO reply ("redis_version" -> "7.0.15"), "" when absent.
std::string info_field(const std::string& info, std::string_view field);

// A Lua script run by EVALSHA, falling back to EVAL when the server answers
// NOSCRIPT (after a restart or SCRIPT FLUSH).
struct Script {
  explicit Script(std::string source);
  std::string source;
  std::string sha1;
};

// EVALSHA (by_sha) or EVAL of `script` with its keys and arguments.
Command eval_command(bool by_sha,
                     const Script& script,
                     const std::vector<std::string>& keys,
                     const std::vector<std::string>& arguments);

// Commands in the protocol's wire form (RESP arrays of bulk strings).
std::string encode_commands(const std::vector<Command>& commands);

// A Redis connection over golfops' own socket (plain or TLS) with hiredis as
// the protocol codec. Connect and command deadlines are enforced on every call.
class Client {
public:
  // Connects, authenticates (password-only AUTH for an empty user) and
  // selects the database. Throws Error(unreachable) naming host:port, with
  // the failure typed (dns, connect, tls, timeout; auth when AUTH is refused).
  explicit Client(const Settings& settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command; an error reply throws Error(failed).
  Reply command(const Command& command);
  // Sends all commands in one write and reads every reply (errors included,
  // in order): one round trip for the lot.
  std::vector<Reply> pipeline(const std::vector<Command>& commands);
  // The exchange split in two, for one thread driving many connections
  // with poll() (limits bench): send() writes and leaves the replies
  // pending; receive(), when fd() is readable, returns the replies that
  // are complete (possibly none). The connection counts as broken until
  // every pending reply was received.
  void send(const std::vector<Command>& commands);
  // send() of commands encoded once beforehand (encode_commands).
  void send_encoded(std::string_view request, std::size_t commands);
  std::vector<Reply> receive();
  int fd() const { return m_stream->fd(); }
  std::size_t pending() const { return m_pending; }
  // EVALSHA with NOSCRIPT fallback; an error reply throws Error(failed).
  Reply eval(const Script& script,
             const std::vector<std::string>& keys,
             const std::vector<std::string>& arguments);

  // Takes a snapshot as a replica does (REPLCONF rdb-only, then SYNC): the
  // server writes an RDB (BGSAVE, or straight to the socket when its sync is
  // diskless) and streams it; `sink` gets the RDB bytes as they arrive. Each
  // wait ends after `idle` without a byte (the server sends a newline every
  // second while it saves, so a big dataset does not time out). Returns the
  // RDB's size. The connection carries the replication stream afterwards:
  // it is never used again.
  std::uint64_t receive_snapshot(const std::function<void(std::string_view)>& sink,
                                 Milliseconds idle);

  const std::string& address() const { return m_address; }
  // This host's IP address as the server sees the connection.
  std::string local_ip() const { return m_stream->local_ip(); }
  // The server's IP address, as connected.
  std::string peer_ip() const { return m_stream->peer_ip(); }
  // A connection that timed out or broke in the middle of a reply is never
  // used again: the next read would return the previous command's reply.
  bool broken() const { return m_broken; }

private:
  std::vector<Reply> exchange(const std::vector<Command>& commands);
  // The command timeout, cut short by the settings' deadline.
  net::Deadline command_deadline() const;
  // The next reply the reader holds whole, if any; a protocol error throws.
  std::optional<Reply> parsed_reply();

  std::string m_address;
  Milliseconds m_command_timeout;
  std::optional<net::Deadline> m_deadline;
  std::unique_ptr<net::Stream> m_stream;
  struct Reader;
  std::unique_ptr<Reader> m_reader;
  bool m_broken = false;
  std::size_t m_pending = 0;
};

} // namespace golfops::core::redis
