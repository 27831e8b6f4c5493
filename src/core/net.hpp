#pragma once

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/units.hpp"

#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <utility>
#include <vector>

struct ssl_ctx_st;

namespace golfops::core::net {

using Deadline = std::chrono::steady_clock::time_point;

inline Deadline deadline_after(Milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

struct TlsOptions {
  bool enabled = false;
  std::string server_name; // SNI and certificate host check
  std::string ca_file;     // empty: the system trust store
};

// One verifying client TLS context per CA file, shared by every connection
// to targets that trust it (load, limits and verify open many): loading the
// trust store is paid once, not per connection. Throws NetError(tls).
std::shared_ptr<ssl_ctx_st> client_tls_context(const std::string& ca_file);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
int free_loopback_port();

// A network failure: unreachable, with the typed reason.
class NetError : public Error {
public:
  NetError(Failure failure, const std::string& message)
      : Error(ExitCode::unreachable, message, failure) {}
};

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text; // "127.0.0.1", "::1"
};

// Resolves `host` before `deadline` (getaddrinfo has no timeout of its own,
// so a slow resolver cannot hold golfops past its deadline). Throws
// NetError(dns) when the name does not resolve, NetError(timeout) when the
// deadline passes first, Cancelled on SIGINT/SIGTERM.
std::vector<Address> resolve(const std::string& host, int port, Deadline deadline);

// "host:port" or "[::1]:port" into host (brackets removed) and port (0
// when it is not a number). Addresses come checked (config) or from a
// server (CLUSTER SLOTS, MOVED).
std::pair<std::string, int> split_address(std::string_view address);

// A TCP stream, optionally TLS (OpenSSL), where every operation has a
// deadline and ends early on cancellation: a dead peer can never hang golfops.

class Stream {
public:
  // Resolves, connects and (with TLS) handshakes before `deadline`.
  Stream(const std::string& host, int port, const TlsOptions& tls, Deadline deadline);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void write_all(std::string_view data, Deadline deadline);
  // Reads what is available (at least one byte); throws NetError at EOF or deadline.
  std::size_t read_some(char* buffer, std::size_t size, Deadline deadline);
  // For poll() over many streams: readable means read_some returns at once.
  int fd() const { return m_fd.get(); }

  // The local IP address of the connection ("10.0.0.5", "::1"): where the
  // peer can reach this host back.
  std::string local_ip() const;
  // The peer's IP address ("10.0.0.7").
  std::string peer_ip() const;

  // TLS: when the peer's certificate stops being valid (notAfter).
  std::optional<std::time_t> certificate_not_after() const;

private:
  void wait(bool for_write, Deadline deadline, std::string_view what);

  UniqueFd m_fd;
  struct Tls;
  std::unique_ptr<Tls> m_tls;
  std::string m_address;
};

} // namespace golfops::core::net
