#pragma once

#include "core/units.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

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

// Why a connection attempt failed, so callers can report a fixed reason.
enum class Failure { dns, connect, tls, timeout, io };

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
int free_loopback_port();

class NetError : public std::runtime_error {
public:
  NetError(Failure failure, const std::string& message)
      : std::runtime_error(message), m_failure(failure) {}
  Failure failure() const { return m_failure; }

private:
  Failure m_failure;
};

// A TCP stream, optionally TLS (OpenSSL), where every operation has a
// deadline: a dead peer can never hang golfops.
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

private:
  void wait(bool for_write, Deadline deadline, std::string_view what);

  int m_fd = -1;
  struct Tls;
  std::unique_ptr<Tls> m_tls;
  std::string m_address;
};

} // namespace golfops::core::net
