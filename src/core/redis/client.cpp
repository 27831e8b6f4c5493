#include "core/redis/client.hpp"

#include "core/config/config.hpp"
#include "core/config/password.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"

#include <array>
#include <charconv>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

namespace golfops::core::redis {
namespace {

Reply copy_reply(const redisReply* reply) {
  Reply copy;
  switch (reply->type) {
  case REDIS_REPLY_STRING:
    copy.type = Reply::Type::string;
    copy.text.assign(reply->str, reply->len);
    break;
  case REDIS_REPLY_STATUS:
    copy.type = Reply::Type::status;
    copy.text.assign(reply->str, reply->len);
    break;
  case REDIS_REPLY_ERROR:
    copy.type = Reply::Type::error;
    copy.text.assign(reply->str, reply->len);
    break;
  case REDIS_REPLY_INTEGER:
    copy.type = Reply::Type::integer;
    copy.integer = reply->integer;
    break;
  case REDIS_REPLY_ARRAY:
    copy.type = Reply::Type::array;
    for (std::size_t index = 0; index < reply->elements; ++index) {
      copy.elements.push_back(copy_reply(reply->element[index]));
    }
    break;
  default:
    copy.type = Reply::Type::nil;
  }
  return copy;
}

std::string sha1_hex(const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha1(), nullptr);
  std::string hex;
  for (unsigned int index = 0; index < length; ++index) {
    hex += fmt::format("{:02x}", digest[index]);
  }
  return hex;
}

std::string encode(const Command& command) {
  std::vector<const char*> arguments;
  std::vector<size_t> lengths;
  for (const auto& argument : command) {
    arguments.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  char* formatted = nullptr;
  int length = redisFormatCommandArgv(
      &formatted, static_cast<int>(arguments.size()), arguments.data(), lengths.data());
  if (length < 0) {
    throw_failed("cannot encode a Redis command");
  }
  std::string out(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  return out;
}

} // namespace

struct Client::Reader {
  redisReader* reader = redisReaderCreate();
  ~Reader() { redisReaderFree(reader); }
};

std::string Reply::error_code() const {
  return is_error() ? text.substr(0, text.find(' ')) : std::string();
}

Command eval_command(bool by_sha,
                     const Script& script,
                     const std::vector<std::string>& keys,
                     const std::vector<std::string>& arguments) {
  Command command{by_sha ? "EVALSHA" : "EVAL",
                  by_sha ? script.sha1 : script.source,
                  std::to_string(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), arguments.begin(), arguments.end());
  return command;
}

Script::Script(std::string text) : source(std::move(text)), sha1(sha1_hex(source)) {}

Settings settings_from(const config::Config& config) {
  return settings_from(config, "", "");
}

Settings settings_from(const config::Config& config,
                       const std::string& url_override,
                       std::string_view origin) {
  Settings settings;
  settings.connect_timeout = config.duration("redis.connect_timeout");
  settings.command_timeout = config.duration("redis.command_timeout");
  settings.tls_ca_file = config.text("redis.tls_ca_file");
  if (!url_override.empty()) {
    settings.endpoint = parse_endpoint(url_override, origin);
    settings.password_origin = fmt::format("the url at {}", origin);
    if (settings.endpoint.password_file) {
      settings.endpoint.password = read_secret_file(*settings.endpoint.password_file,
                                                    fmt::format("{}: password_file", origin));
    }
    return settings;
  }
  const auto& url = config.value("redis.url");
  // Named like a config problem ("golfops.toml:7: redis.url: ..."): loading
  // checked only the scheme (redis::check_scheme).
  settings.endpoint =
      parse_endpoint(url.text,
                     url.source == config::Source::default_value ? std::string("redis.url")
                                                                 : url.origin + ": redis.url");
  settings.endpoint.password = resolve_password(settings.endpoint.password,
                                                settings.endpoint.password_file,
                                                url,
                                                config,
                                                "redis",
                                                &settings.password_origin);
  return settings;
}

std::string info_field(const std::string& info, std::string_view field) {
  auto key = std::string(field) + ":";
  for (std::size_t at = 0; at < info.size();) {
    auto end = info.find('\n', at);
    auto line =
        std::string_view(info).substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.starts_with(key)) {
      auto value = line.substr(key.size());
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) {
        value.remove_suffix(1);
      }
      return std::string(value);
    }
    if (end == std::string::npos) {
      break;
    }
    at = end + 1;
  }
  return "";
}

Client::Client(const Settings& settings)
    : m_address(settings.endpoint.address()), m_command_timeout(settings.command_timeout),
      m_deadline(settings.deadline), m_reader(std::make_unique<Reader>()) {
  const auto& endpoint = settings.endpoint;
  auto connect_deadline = net::deadline_after(settings.connect_timeout);
  if (settings.deadline) {
    connect_deadline = std::min(connect_deadline, *settings.deadline);
  }
  try {
    net::TlsOptions tls{endpoint.tls, endpoint.host, settings.tls_ca_file};
    m_stream = std::make_unique<net::Stream>(endpoint.host, endpoint.port, tls, connect_deadline);
  } catch (const net::NetError& error) {
    throw_unreachable(
        fmt::format("cannot connect to Redis at {}: {}", m_address, redact(error.what())),
        error.failure());
  }
  std::vector<Command> handshake;
  if (!endpoint.password.empty()) {
    handshake.push_back(endpoint.user.empty() ? Command{"AUTH", endpoint.password}
                                              : Command{"AUTH", endpoint.user, endpoint.password});
  }
  if (endpoint.database != 0) {
    handshake.push_back({"SELECT", std::to_string(endpoint.database)});
  }
  if (handshake.empty()) {
    return;
  }
  auto replies = pipeline(handshake);
  for (std::size_t index = 0; index < replies.size(); ++index) {
    if (replies[index].is_error()) {
      // AUTH errors name no secret; SELECT errors name the index.
      bool auth = handshake[index].front() == "AUTH";
      throw_unreachable(
          fmt::format("Redis at {} refused {}{}: {}{}",
                      m_address,
                      auth ? "the password" : "SELECT",
                      auth && !endpoint.user.empty() ? " of user " + endpoint.user : std::string(),
                      redact(replies[index].text),
                      auth && !settings.password_origin.empty()
                          ? " (password from " + settings.password_origin + ")"
                          : std::string()),
          auth ? Failure::auth : Failure::refused);
    }
  }
}

Client::~Client() = default;

net::Deadline Client::command_deadline() const {
  auto deadline = net::deadline_after(m_command_timeout);
  return m_deadline ? std::min(deadline, *m_deadline) : deadline;
}

std::optional<Reply> Client::parsed_reply() {
  void* raw = nullptr;
  if (redisReaderGetReply(m_reader->reader, &raw) != REDIS_OK) {
    throw_failed(
        fmt::format("Redis at {}: protocol error: {}", m_address, m_reader->reader->errstr));
  }
  if (raw == nullptr) {
    return std::nullopt;
  }
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                &freeReplyObject);
  return copy_reply(reply.get());
}

std::vector<Reply> Client::exchange(const std::vector<Command>& commands) {
  if (m_broken) {
    throw_unreachable(
        fmt::format("Redis at {}: the connection broke earlier and is not reused", m_address),
        Failure::io);
  }
  // Cleared only when every reply was read: any throw below leaves the
  // stream mid-reply.
  m_broken = true;
  auto deadline = command_deadline();
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  try {
    m_stream->write_all(encode_commands(commands), deadline);
    std::array<char, 16384> buffer;
    while (replies.size() < commands.size()) {
      if (auto reply = parsed_reply()) {
        replies.push_back(std::move(*reply));
        continue;
      }
      auto count = m_stream->read_some(buffer.data(), buffer.size(), deadline);
      redisReaderFeed(m_reader->reader, buffer.data(), count);
    }
  } catch (const net::NetError& error) {
    throw_unreachable(fmt::format("Redis at {}: {}", m_address, error.what()), error.failure());
  }
  m_broken = false;
  return replies;
}

std::uint64_t Client::receive_snapshot(const std::function<void(std::string_view)>& sink,
                                       Milliseconds idle) {
  // Redis 7 sends only the RDB to an rdb-only replica; an older server
  // refuses the option and the stream after the RDB is ignored anyway.
  exchange({{"REPLCONF", "rdb-only", "1"}});
  m_broken = true; // from here on the connection is a replication stream
  std::array<char, 65536> buffer;
  std::string pending;
  try {
    m_stream->write_all("SYNC\r\n", net::deadline_after(idle));
    auto read_more = [&] {
      auto count = m_stream->read_some(buffer.data(), buffer.size(), net::deadline_after(idle));
      pending.append(buffer.data(), count);
    };
    // Newlines keep the link alive while the server saves; then "$<size>"
    // (an RDB from disk) or "$EOF:<40-byte mark>" (diskless, ends with the mark).
    std::string header;
    while (true) {
      while (!pending.empty() && pending.front() == '\n') {
        pending.erase(0, 1);
      }
      auto end = pending.find("\r\n");
      if (end != std::string::npos) {
        header = pending.substr(0, end);
        pending.erase(0, end + 2);
        break;
      }
      read_more();
    }
    if (header.empty() || header.front() != '$') {
      throw_failed(fmt::format("Redis at {} answered SYNC with '{}'", m_address, redact(header)));
    }
    std::uint64_t total = 0;
    if (header.starts_with("$EOF:")) {
      auto mark = header.substr(5);
      // Hold back what could be the start of the mark.
      while (true) {
        auto found = pending.find(mark);
        if (found != std::string::npos) {
          sink(std::string_view(pending).substr(0, found));
          return total + found;
        }
        if (pending.size() > mark.size()) {
          auto safe = pending.size() - mark.size();
          sink(std::string_view(pending).substr(0, safe));
          total += safe;
          pending.erase(0, safe);
        }
        read_more();
      }
    }
    std::uint64_t size = 0;
    auto [end, error] = std::from_chars(header.data() + 1, header.data() + header.size(), size);
    if (error != std::errc() || end != header.data() + header.size()) {
      throw_failed(fmt::format("Redis at {} answered SYNC with '{}'", m_address, redact(header)));
    }
    while (total < size) {
      if (pending.empty()) {
        read_more();
      }
      auto take = std::min<std::uint64_t>(size - total, pending.size());
      sink(std::string_view(pending).substr(0, take));
      pending.erase(0, take);
      total += take;
    }
    return total;
  } catch (const net::NetError& error) {
    throw_unreachable(fmt::format("Redis at {}: {}", m_address, error.what()), error.failure());
  }
}

std::string encode_commands(const std::vector<Command>& commands) {
  std::string request;
  for (const auto& command : commands) {
    request += encode(command);
  }
  return request;
}

void Client::send(const std::vector<Command>& commands) {
  send_encoded(encode_commands(commands), commands.size());
}

void Client::send_encoded(std::string_view request, std::size_t commands) {
  if (m_broken && m_pending == 0) {
    throw_unreachable(
        fmt::format("Redis at {}: the connection broke earlier and is not reused", m_address),
        Failure::io);
  }
  m_broken = true;
  try {
    m_stream->write_all(request, command_deadline());
  } catch (const net::NetError& error) {
    m_pending = 0;
    throw_unreachable(fmt::format("Redis at {}: {}", m_address, error.what()), error.failure());
  }
  m_pending += commands;
}

std::vector<Reply> Client::receive() {
  std::vector<Reply> replies;
  try {
    std::array<char, 16384> buffer;
    auto count = m_stream->read_some(buffer.data(), buffer.size(), command_deadline());
    redisReaderFeed(m_reader->reader, buffer.data(), count);
    while (m_pending > 0) {
      auto reply = parsed_reply();
      if (!reply) {
        break;
      }
      replies.push_back(std::move(*reply));
      --m_pending;
    }
  } catch (const net::NetError& error) {
    m_pending = 0;
    throw_unreachable(fmt::format("Redis at {}: {}", m_address, error.what()), error.failure());
  } catch (const Error&) {
    m_pending = 0; // a protocol error: the stream is lost
    throw;
  }
  m_broken = m_pending > 0;
  return replies;
}

Reply Client::command(const Command& command) {
  auto reply = std::move(exchange({command}).front());
  if (reply.is_error()) {
    throw_failed(
        fmt::format("Redis at {}: {}: {}", m_address, command.front(), redact(reply.text)));
  }
  return reply;
}

std::vector<Reply> Client::pipeline(const std::vector<Command>& commands) {
  if (commands.empty()) {
    return {};
  }
  return exchange(commands);
}

Reply Client::eval(const Script& script,
                   const std::vector<std::string>& keys,
                   const std::vector<std::string>& arguments) {
  auto reply = std::move(exchange({eval_command(true, script, keys, arguments)}).front());
  if (reply.is_error() && reply.text.starts_with("NOSCRIPT")) {
    // EVAL also caches the script, so the next EVALSHA succeeds.
    reply = std::move(exchange({eval_command(false, script, keys, arguments)}).front());
  }
  if (reply.is_error()) {
    throw_failed(fmt::format(
        "Redis at {}: script {}: {}", m_address, script.sha1.substr(0, 12), redact(reply.text)));
  }
  return reply;
}

} // namespace golfops::core::redis
