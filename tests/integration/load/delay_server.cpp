// A test HTTP server whose latency is known: every answer is sent `--delay-ms`
// after its request arrived, and with --stall-after-ms A --stall-ms S every
// answer due in [A, A+S) after the first request waits until A+S: a server
// that stalls for S. /status/NNN answers NNN; /429 answers 429 with
// Retry-After: 3; /early sends 103 Early Hints before its 200. One thread per
// connection, so no answer waits for another.
//
// Usage: delay_server PORTFILE [--delay-ms D] [--stall-after-ms A --stall-ms S]
// The kernel picks the port, written to PORTFILE once the server listens.

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds stall_after{-1};
  std::chrono::milliseconds stall{0};
};

std::once_flag g_first_request;
Clock::time_point g_first;

std::string answer(const std::string& request) {
  auto space = request.find(' ');
  auto path = request.substr(space + 1, request.find(' ', space + 1) - space - 1);
  int status = 200;
  std::string extra;
  if (path.rfind("/status/", 0) == 0) {
    status = std::atoi(path.c_str() + 8);
  } else if (path == "/429") {
    status = 429;
    extra = "Retry-After: 3\r\n";
  }
  // /early: a 103 Early Hints first, as servers that preload do.
  std::string interim =
      path == "/early" ? "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n" : "";
  std::string body = "{\"status\":" + std::to_string(status) + "}";
  return interim + "HTTP/1.1 " + std::to_string(status) +
         " X\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void serve(int fd, Settings settings) {
  std::string pending;
  char buffer[8192];
  while (true) {
    auto end = pending.find("\r\n\r\n");
    while (end == std::string::npos) {
      auto got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) {
        ::close(fd);
        return;
      }
      pending.append(buffer, static_cast<std::size_t>(got));
      end = pending.find("\r\n\r\n");
    }
    auto arrived = Clock::now();
    std::call_once(g_first_request, [&] { g_first = arrived; });
    std::size_t length = 0;
    auto header = pending.find("Content-Length:");
    if (header != std::string::npos && header < end) {
      length = std::strtoul(pending.c_str() + header + 15, nullptr, 10);
    }
    while (pending.size() < end + 4 + length) {
      auto got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) {
        ::close(fd);
        return;
      }
      pending.append(buffer, static_cast<std::size_t>(got));
    }
    auto request = pending.substr(0, end);
    pending.erase(0, end + 4 + length);
    auto due = arrived + settings.delay;
    if (settings.stall_after.count() >= 0) {
      auto from = g_first + settings.stall_after;
      auto until = from + settings.stall;
      if (due >= from && due < until) {
        due = until;
      }
    }
    std::this_thread::sleep_until(due);
    auto response = answer(request);
    if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) {
      ::close(fd);
      return;
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: delay_server PORTFILE [--delay-ms D] [--stall-after-ms A --stall-ms S]\n");
    return 2;
  }
  Settings settings;
  for (int index = 2; index + 1 < argc; index += 2) {
    std::string flag = argv[index];
    auto value = std::chrono::milliseconds(std::atol(argv[index + 1]));
    if (flag == "--delay-ms") {
      settings.delay = value;
    } else if (flag == "--stall-after-ms") {
      settings.stall_after = value;
    } else if (flag == "--stall-ms") {
      settings.stall = value;
    } else {
      std::fprintf(stderr, "delay_server: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 1024) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::perror("delay_server");
    return 1;
  }
  {
    std::string temporary = std::string(argv[1]) + ".tmp";
    std::ofstream(temporary) << ntohs(address.sin_port) << "\n";
    std::rename(temporary.c_str(), argv[1]);
  }
  while (true) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve, fd, settings).detach();
  }
}
