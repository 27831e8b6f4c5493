// Core clients against real servers started by clients.bash (harness.bash):
// PostgreSQL, Redis and nginx on loopback. No mocks.
#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/http/client.hpp"
#include "core/pg/client.hpp"
#include "core/redis/client.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace golfops::core;

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE(value != nullptr, name << " must be set by the harness");
  return value;
}

pg::Settings postgres() {
  pg::Settings settings;
  settings.conninfo.set("host", "127.0.0.1");
  settings.conninfo.set("port", environment("PG_PORT"));
  settings.conninfo.set("user", "golfops");
  settings.conninfo.set("password", environment("PG_PASSWORD"));
  settings.conninfo.set("dbname", "golf");
  return settings;
}

redis::Settings redis_settings() {
  redis::Settings settings;
  settings.endpoint.port = std::stoi(environment("REDIS_PORT"));
  settings.endpoint.password = environment("REDIS_PASSWORD");
  settings.connect_timeout = std::chrono::milliseconds(2000);
  settings.command_timeout = std::chrono::milliseconds(2000);
  return settings;
}

std::string http_base() {
  return "http://127.0.0.1:" + environment("HTTP_PORT");
}

} // namespace

TEST_CASE("pg::Client") {
  SUBCASE("connects with application_name golfops") {
    pg::Client client(postgres());
    auto name = client.execute("SHOW application_name").text(0, 0);
    CHECK(name == "golfops");
    CHECK(client.server_version().starts_with("15."));
  }
  SUBCASE("statement_timeout applies to golfops' sessions") {
    auto settings = postgres();
    settings.statement_timeout = std::chrono::milliseconds(100);
    pg::Client client(settings);
    try {
      client.execute("SELECT pg_sleep(5)");
      FAIL("pg_sleep was not cancelled");
    } catch (const Error& error) {
      CHECK(error.code() == ExitCode::failed);
      CHECK(std::string(error.what()).find("SQLSTATE 57014") != std::string::npos);
    }
  }
  SUBCASE("a bad statement is failed with SQLSTATE") {
    pg::Client client(postgres());
    CHECK_THROWS_WITH_AS(client.execute("SELEC 1"), doctest::Contains("SQLSTATE 42601"), Error);
  }
  SUBCASE("a wrong password is unreachable and not echoed") {
    auto settings = postgres();
    settings.conninfo.set("password", "definitely-wrong-pw");
    try {
      pg::Client client(settings);
      FAIL("connected with a wrong password");
    } catch (const Error& error) {
      CHECK(error.code() == ExitCode::unreachable);
      std::string message = error.what();
      CHECK(message.find("127.0.0.1:" + environment("PG_PORT")) != std::string::npos);
      CHECK(message.find("definitely-wrong-pw") == std::string::npos);
    }
  }
  SUBCASE("a closed port is unreachable") {
    auto settings = postgres();
    settings.conninfo.set("port", "1");
    CHECK_THROWS_AS(pg::Client{settings}, Error);
  }
}

TEST_CASE("redis::Client") {
  SUBCASE("password-only AUTH, commands and types") {
    redis::Client client(redis_settings());
    CHECK(client.command({"PING"}).text == "PONG");
    CHECK(client.command({"SET", "golfops:test", "value with spaces\r\n"}).text == "OK");
    CHECK(client.command({"GET", "golfops:test"}).text == "value with spaces\r\n");
    CHECK(client.command({"INCRBY", "golfops:n", "5"}).integer >= 5);
    CHECK(client.command({"GET", "golfops:missing"}).type == redis::Reply::Type::nil);
    CHECK_THROWS_WITH_AS(client.command({"NOSUCHCOMMAND"}), doctest::Contains("ERR"), Error);
  }
  SUBCASE("ACL user AUTH and SELECT db") {
    auto settings = redis_settings();
    settings.endpoint.user = "app";
    settings.endpoint.password = "app-" + environment("REDIS_PASSWORD");
    settings.endpoint.database = 5;
    redis::Client client(settings);
    client.command({"SET", "golfops:db5", "yes"});
    auto fresh = redis_settings();
    redis::Client db0(fresh);
    CHECK(db0.command({"GET", "golfops:db5"}).type == redis::Reply::Type::nil);
    fresh.endpoint.database = 5;
    redis::Client db5(fresh);
    CHECK(db5.command({"GET", "golfops:db5"}).text == "yes");
  }
  SUBCASE("a wrong password is unreachable and not echoed") {
    auto settings = redis_settings();
    settings.endpoint.password = "not-the-redis-pw";
    try {
      redis::Client client(settings);
      FAIL("authenticated with a wrong password");
    } catch (const Error& error) {
      CHECK(error.code() == ExitCode::unreachable);
      CHECK(std::string(error.what()).find("not-the-redis-pw") == std::string::npos);
    }
  }
  SUBCASE("pipelining: 10000 commands, one write, replies in order, errors in place") {
    redis::Client client(redis_settings());
    std::vector<redis::Command> commands;
    for (int index = 0; index < 10000; ++index) {
      commands.push_back({"SET", "golfops:p:" + std::to_string(index), std::to_string(index)});
    }
    commands.push_back({"INCR", "golfops:p:1"});       // fine
    commands.push_back({"LPUSH", "golfops:p:2", "x"}); // WRONGTYPE
    commands.push_back({"GET", "golfops:p:9999"});
    auto replies = client.pipeline(commands);
    REQUIRE(replies.size() == commands.size());
    CHECK(replies[10000].integer == 2);
    CHECK(replies[10001].is_error());
    CHECK(replies[10002].text == "9999");
  }
  SUBCASE("EVALSHA falls back to EVAL after SCRIPT FLUSH") {
    redis::Client client(redis_settings());
    redis::Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    client.command({"DEL", "{golfops}:script"});
    CHECK(client.eval(script, {"{golfops}:script"}, {"2"}).integer == 2);
    CHECK(client.eval(script, {"{golfops}:script"}, {"3"}).integer == 5);
    client.command({"SCRIPT", "FLUSH"});
    CHECK(client.eval(script, {"{golfops}:script"}, {"1"}).integer == 6);
    auto loaded = client.command({"SCRIPT", "EXISTS", script.sha1});
    CHECK(loaded.elements.at(0).integer == 1);
  }
  SUBCASE("the command timeout bounds a blocked command") {
    auto settings = redis_settings();
    settings.command_timeout = std::chrono::milliseconds(200);
    redis::Client client(settings);
    CHECK_THROWS_WITH_AS(
        client.command({"BLPOP", "golfops:never", "5"}), doctest::Contains("timed out"), Error);
  }
  SUBCASE("a closed port is unreachable, naming host:port") {
    auto settings = redis_settings();
    settings.endpoint.port = 1;
    CHECK_THROWS_WITH_AS(redis::Client{settings}, doctest::Contains("127.0.0.1:1"), Error);
  }
  SUBCASE("rediss:// over TLS with a CA file") {
    const char* tls_port = std::getenv("REDIS_TLS_PORT");
    REQUIRE(tls_port != nullptr);
    auto settings = redis_settings();
    settings.endpoint.tls = true;
    settings.endpoint.host = "localhost";
    settings.endpoint.port = std::stoi(tls_port);
    settings.tls_ca_file = environment("REDIS_TLS_CA");
    redis::Client client(settings);
    CHECK(client.command({"PING"}).text == "PONG");
    settings.tls_ca_file = "";
    CHECK_THROWS_WITH_AS(redis::Client{settings}, doctest::Contains("TLS"), Error);
  }
}

TEST_CASE("http client") {
  SUBCASE("status, body and response headers") {
    auto response = http::perform({.url = http_base() + "/health"});
    CHECK(response.failure == http::Failure::none);
    CHECK(response.status == 200);
    CHECK(response.body.find("\"status\":\"ok\"") != std::string::npos);
    CHECK(response.header("x-service") == "golf");
    CHECK(response.header("Content-Type") == "application/json");
  }
  SUBCASE("redirects are answers, not followed, unless asked") {
    auto response = http::perform({.url = http_base() + "/moved"});
    CHECK(response.status == 302);
    CHECK(response.header("location").has_value());
    auto followed = http::perform({.url = http_base() + "/moved", .follow_redirects = true});
    CHECK(followed.status == 200);
  }
  SUBCASE("many at once with the multi interface, in order") {
    std::vector<http::Request> requests;
    for (auto path : {"/health", "/ready", "/nope"}) {
      requests.push_back({.url = http_base() + path});
    }
    auto responses = http::perform_all(requests);
    REQUIRE(responses.size() == 3);
    CHECK(responses[0].status == 200);
    CHECK(responses[1].status == 503);
    CHECK(responses[2].status == 404);
  }
  SUBCASE("connect failure and total timeout are classified") {
    auto refused = http::perform({.url = "http://127.0.0.1:1/"});
    CHECK(refused.failure == http::Failure::connect);
    auto slow = http::perform({.url = "http://127.0.0.1:" + environment("SILENT_PORT") + "/",
                               .total_timeout = std::chrono::milliseconds(300)});
    CHECK(slow.failure == http::Failure::timeout);
  }
}

namespace {

// A server on loopback that answers the first command with half a reply and
// then says nothing: what a Redis that stalls mid-reply looks like.
class HalfReplyServer {
public:
  HalfReplyServer() : m_listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(m_listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(m_listener.get(), 4) == 0);
    ::getsockname(m_listener.get(), reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    m_thread = std::thread([this] {
      UniqueFd peer(::accept(m_listener.get(), nullptr, nullptr));
      char buffer[256];
      if (::read(peer.get(), buffer, sizeof buffer) > 0) {
        std::string_view half = "$10\r\nabc";
        [[maybe_unused]] auto written = ::write(peer.get(), half.data(), half.size());
      }
      // Hold the connection until the test is done with it.
      ::read(m_done[0], buffer, 1);
    });
  }
  ~HalfReplyServer() {
    [[maybe_unused]] auto written = ::write(m_done[1], "x", 1);
    m_thread.join();
  }
  int port = 0;

private:
  UniqueFd m_listener;
  int m_done[2] = {-1, -1};
  bool m_piped = ::pipe(m_done) == 0;
  std::thread m_thread;
};

} // namespace

TEST_CASE("redis::Client: a connection that timed out mid-reply is never reused") {
  HalfReplyServer server;
  redis::Settings settings;
  settings.endpoint.host = "127.0.0.1";
  settings.endpoint.port = server.port;
  settings.command_timeout = Milliseconds(300);
  redis::Client client(settings);
  try {
    client.command({"GET", "key"});
    FAIL("a half reply was accepted");
  } catch (const Error& error) {
    CHECK(error.failure() == Failure::timeout);
  }
  CHECK(client.broken());
  try {
    client.command({"PING"});
    FAIL("a broken connection was reused");
  } catch (const Error& error) {
    CHECK(error.failure() == Failure::io);
    CHECK(std::string(error.what()).find("not reused") != std::string::npos);
  }
}
