#include "core/net.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace golfops::core::net {
namespace {

int remaining_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

std::string ssl_error_text() {
  auto code = ERR_get_error();
  if (code == 0) {
    return "TLS handshake failed";
  }
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  return buffer;
}

} // namespace

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw NetError(Failure::io, fmt::format("socket: {}", std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw NetError(Failure::io, fmt::format("cannot find a free port: {}", std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct Stream::Tls {
  SSL_CTX* context = nullptr;
  SSL* session = nullptr;
  ~Tls() {
    if (session != nullptr) {
      SSL_free(session);
    }
    if (context != nullptr) {
      SSL_CTX_free(context);
    }
  }
};

Stream::Stream(const std::string& host, int port, const TlsOptions& tls, Deadline deadline)
    : m_address(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                    : fmt::format("{}:{}", host, port)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  auto service = std::to_string(port);
  int status = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses);
  if (status != 0) {
    throw NetError(Failure::dns,
                   fmt::format("cannot resolve {}: {}", host, ::gai_strerror(status)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(addresses, &::freeaddrinfo);
  std::string last_error = "no address";
  for (auto* address = addresses; address != nullptr; address = address->ai_next) {
    int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd, address->ai_addr, address->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    pollfd waiting{fd, POLLOUT, 0};
    int ready = ::poll(&waiting, 1, remaining_ms(deadline));
    if (ready == 0) {
      ::close(fd);
      throw NetError(Failure::timeout, fmt::format("connect to {} timed out", m_address));
    }
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length);
    if (ready < 0 || socket_error != 0) {
      last_error = std::strerror(ready < 0 ? errno : socket_error);
      ::close(fd);
      continue;
    }
    m_fd = fd;
    break;
  }
  if (m_fd < 0) {
    throw NetError(Failure::connect,
                   fmt::format("cannot connect to {}: {}", m_address, last_error));
  }
  int one = 1;
  ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (!tls.enabled) {
    return;
  }
  m_tls = std::make_unique<Tls>();
  m_tls->context = SSL_CTX_new(TLS_client_method());
  if (m_tls->context == nullptr) {
    throw NetError(Failure::tls, ssl_error_text());
  }
  SSL_CTX_set_verify(m_tls->context, SSL_VERIFY_PEER, nullptr);
  bool trusted =
      tls.ca_file.empty()
          ? SSL_CTX_set_default_verify_paths(m_tls->context) == 1
          : SSL_CTX_load_verify_locations(m_tls->context, tls.ca_file.c_str(), nullptr) == 1;
  if (!trusted) {
    throw NetError(Failure::tls, fmt::format("cannot load CA certificates: {}", ssl_error_text()));
  }
  m_tls->session = SSL_new(m_tls->context);
  auto name = tls.server_name.empty() ? host : tls.server_name;
  SSL_set_tlsext_host_name(m_tls->session, name.c_str());
  SSL_set1_host(m_tls->session, name.c_str());
  SSL_set_fd(m_tls->session, m_fd);
  while (true) {
    int result = SSL_connect(m_tls->session);
    if (result == 1) {
      break;
    }
    int error = SSL_get_error(m_tls->session, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      wait(error == SSL_ERROR_WANT_WRITE, deadline, "TLS handshake");
      continue;
    }
    auto verify = SSL_get_verify_result(m_tls->session);
    throw NetError(Failure::tls,
                   fmt::format("TLS handshake with {} failed: {}",
                               m_address,
                               verify != X509_V_OK ? X509_verify_cert_error_string(verify)
                                                   : ssl_error_text()));
  }
}

Stream::~Stream() {
  m_tls.reset();
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void Stream::wait(bool for_write, Deadline deadline, std::string_view what) {
  while (true) {
    pollfd waiting{m_fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int ready = ::poll(&waiting, 1, remaining_ms(deadline));
    if (ready > 0) {
      return;
    }
    if (ready == 0) {
      throw NetError(Failure::timeout, fmt::format("{} with {} timed out", what, m_address));
    }
    if (errno != EINTR) {
      throw NetError(Failure::io,
                     fmt::format("{} with {}: {}", what, m_address, std::strerror(errno)));
    }
  }
}

void Stream::write_all(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    long written = 0;
    if (m_tls) {
      int result = SSL_write(m_tls->session, data.data(), static_cast<int>(data.size()));
      if (result <= 0) {
        int error = SSL_get_error(m_tls->session, result);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
          wait(error == SSL_ERROR_WANT_WRITE, deadline, "write");
          continue;
        }
        throw NetError(Failure::io, fmt::format("write to {}: {}", m_address, ssl_error_text()));
      }
      written = result;
    } else {
      written = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (written < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          wait(true, deadline, "write");
          continue;
        }
        throw NetError(Failure::io,
                       fmt::format("write to {}: {}", m_address, std::strerror(errno)));
      }
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::size_t Stream::read_some(char* buffer, std::size_t size, Deadline deadline) {
  while (true) {
    long count = 0;
    if (m_tls) {
      count = SSL_read(m_tls->session, buffer, static_cast<int>(size));
      if (count <= 0) {
        int error = SSL_get_error(m_tls->session, static_cast<int>(count));
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
          wait(error == SSL_ERROR_WANT_WRITE, deadline, "read");
          continue;
        }
        throw NetError(Failure::io, fmt::format("{} closed the connection", m_address));
      }
    } else {
      count = ::recv(m_fd, buffer, size, 0);
      if (count < 0 && (errno == EAGAIN || errno == EINTR)) {
        wait(false, deadline, "read");
        continue;
      }
      if (count <= 0) {
        throw NetError(Failure::io,
                       count == 0
                           ? fmt::format("{} closed the connection", m_address)
                           : fmt::format("read from {}: {}", m_address, std::strerror(errno)));
      }
    }
    return static_cast<std::size_t>(count);
  }
}

} // namespace golfops::core::net
