#include "core/net.hpp"

#include "core/cancel.hpp"
#include "core/detached.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

namespace golfops::core::net {
namespace {

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

std::string address_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw =
      address->sa_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  ::inet_ntop(address->sa_family, raw, text, sizeof text);
  return text;
}

std::vector<Address> copy_addresses(const addrinfo* list) {
  std::vector<Address> addresses;
  for (const auto* entry = list; entry != nullptr; entry = entry->ai_next) {
    Address address;
    std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
    address.length = entry->ai_addrlen;
    address.text = address_text(entry->ai_addr);
    addresses.push_back(std::move(address));
  }
  return addresses;
}

// What a resolver thread hands back; shared so a thread that outlives its
// deadline still has somewhere to write.
struct Lookup {
  int status = 0;
  std::vector<Address> addresses;
};

} // namespace

std::shared_ptr<ssl_ctx_st> client_tls_context(const std::string& ca_file) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<SSL_CTX>> contexts;
  std::lock_guard lock(mutex);
  if (auto found = contexts.find(ca_file); found != contexts.end()) {
    return found->second;
  }
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (!context) {
    throw NetError(Failure::tls, ssl_error_text());
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  bool trusted = ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(context.get()) == 1
                     : SSL_CTX_load_verify_locations(context.get(), ca_file.c_str(), nullptr) == 1;
  if (!trusted) {
    throw NetError(Failure::tls,
                   fmt::format("cannot load CA certificates{}: {}",
                               ca_file.empty() ? "" : " from " + ca_file,
                               ssl_error_text()));
  }
  contexts.emplace(ca_file, context);
  return context;
}

int free_loopback_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw NetError(Failure::io, fmt::format("socket: {}", std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw NetError(Failure::io, fmt::format("cannot find a free port: {}", std::strerror(errno)));
  }
  return ntohs(address.sin_port);
}

std::vector<Address> resolve(const std::string& host, int port, Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  auto service = std::to_string(port);
  // An address literal needs no resolver, and no thread.
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) == 0) {
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(list, &::freeaddrinfo);
    return copy_addresses(list);
  }
  hints.ai_flags = 0;
  auto lookup = std::make_shared<Lookup>();
  bool finished = run_detached(
      [lookup, host, service, hints] {
        addrinfo* found = nullptr;
        lookup->status = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
        if (lookup->status == 0) {
          lookup->addresses = copy_addresses(found);
          ::freeaddrinfo(found);
        }
      },
      deadline,
      true);
  if (!finished) {
    throw NetError(Failure::timeout, fmt::format("resolving {} timed out", host));
  }
  if (lookup->status != 0) {
    throw NetError(Failure::dns,
                   fmt::format("cannot resolve {}: {}", host, ::gai_strerror(lookup->status)));
  }
  return lookup->addresses;
}

struct Stream::Tls {
  std::shared_ptr<SSL_CTX> context;
  SSL* session = nullptr;
  ~Tls() {
    if (session != nullptr) {
      SSL_free(session);
    }
  }
};

Stream::Stream(const std::string& host, int port, const TlsOptions& tls, Deadline deadline)
    : m_address(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                    : fmt::format("{}:{}", host, port)) {
  std::string last_error = "no address";
  for (const auto& address : resolve(host, port, deadline)) {
    UniqueFd fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) !=
            0 &&
        errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    std::vector<pollfd> waiting{pollfd{fd.get(), POLLOUT, 0}};
    int ready = poll_cancellable(waiting, milliseconds_until(deadline));
    if (ready == 0) {
      throw NetError(Failure::timeout, fmt::format("connect to {} timed out", m_address));
    }
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &socket_error, &length);
    if (ready < 0 || socket_error != 0) {
      last_error = std::strerror(ready < 0 ? errno : socket_error);
      continue;
    }
    m_fd = std::move(fd);
    break;
  }
  if (!m_fd) {
    throw NetError(Failure::connect,
                   fmt::format("cannot connect to {}: {}", m_address, last_error));
  }
  int one = 1;
  ::setsockopt(m_fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (!tls.enabled) {
    return;
  }
  m_tls = std::make_unique<Tls>();
  m_tls->context = client_tls_context(tls.ca_file);
  m_tls->session = SSL_new(m_tls->context.get());
  if (m_tls->session == nullptr) {
    throw NetError(Failure::tls, ssl_error_text());
  }
  auto name = tls.server_name.empty() ? host : tls.server_name;
  SSL_set_tlsext_host_name(m_tls->session, name.c_str());
  SSL_set1_host(m_tls->session, name.c_str());
  SSL_set_fd(m_tls->session, m_fd.get());
  while (true) {
    int result = SSL_connect(m_tls->session);
    if (result == 1) {
      break;
    }
    int error = SSL_get_error(m_tls->session, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      try {
        wait(error == SSL_ERROR_WANT_WRITE, deadline, "TLS handshake");
      } catch (const NetError& failure) {
        if (failure.failure() == Failure::timeout) {
          throw;
        }
        throw NetError(Failure::tls, failure.what());
      }
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

Stream::~Stream() = default;

std::optional<std::time_t> Stream::certificate_not_after() const {
  if (!m_tls) {
    return std::nullopt;
  }
  std::unique_ptr<X509, decltype(&X509_free)> certificate(SSL_get1_peer_certificate(m_tls->session),
                                                          &X509_free);
  if (!certificate) {
    return std::nullopt;
  }
  std::tm expiry{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate.get()), &expiry) != 1) {
    return std::nullopt;
  }
  return ::timegm(&expiry);
}

void Stream::wait(bool for_write, Deadline deadline, std::string_view what) {
  std::vector<pollfd> waiting{
      pollfd{m_fd.get(), static_cast<short>(for_write ? POLLOUT : POLLIN), 0}};
  int ready = poll_cancellable(waiting, milliseconds_until(deadline));
  if (ready == 0) {
    throw NetError(Failure::timeout, fmt::format("{} with {} timed out", what, m_address));
  }
  if (ready < 0) {
    throw NetError(Failure::io,
                   fmt::format("{} with {}: {}", what, m_address, std::strerror(errno)));
  }
}

std::string Stream::local_ip() const {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(m_fd.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    return "";
  }
  return address_text(reinterpret_cast<const sockaddr*>(&local));
}

std::string Stream::peer_ip() const {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(m_fd.get(), reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    return "";
  }
  return address_text(reinterpret_cast<const sockaddr*>(&peer));
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
      written = ::send(m_fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
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

std::pair<std::string, int> split_address(std::string_view address) {
  auto colon = address.rfind(':');
  auto host = std::string(address.substr(0, colon));
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (colon != std::string_view::npos) {
    auto port_text = address.substr(colon + 1);
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  }
  return {host, port};
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
      count = ::recv(m_fd.get(), buffer, size, 0);
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
