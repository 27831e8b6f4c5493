#include "core/redis/cluster.hpp"

#include "core/error.hpp"
#include "core/redact.hpp"

#include <charconv>
#include <chrono>
#include <fmt/format.h>
#include <thread>

namespace golfops::core::redis {
namespace {

// Redis Cluster's CRC16 (XMODEM: polynomial 0x1021, initial value 0).
std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (unsigned char byte : bytes) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

// How often a command may be redirected before golfops gives up; past
// the first few, each hop waits a little longer (two nodes that disagree
// for a moment about a slot's owner must not use the budget up at once).
// A slot in the middle of a migration may answer TRYAGAIN for as long as
// the command timeout, retried with backoff.
constexpr int k_max_redirections = 16;
constexpr int k_free_redirections = 2;
constexpr auto k_first_pause = std::chrono::milliseconds(5);
constexpr auto k_longest_pause = std::chrono::milliseconds(100);

struct Redirection {
  bool ask = false;
  std::uint16_t slot = 0;
  std::string address;
};

// "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381".
std::optional<Redirection> redirection(const Reply& reply) {
  auto code = reply.error_code();
  if (code != "MOVED" && code != "ASK") {
    return std::nullopt;
  }
  auto first = reply.text.find(' ');
  auto second = reply.text.find(' ', first + 1);
  if (second == std::string::npos) {
    return std::nullopt;
  }
  Redirection to;
  to.ask = code == "ASK";
  auto slot_text = std::string_view(reply.text).substr(first + 1, second - first - 1);
  auto [end, error] = std::from_chars(slot_text.begin(), slot_text.end(), to.slot);
  if (error != std::errc() || end != slot_text.end() || to.slot >= 16384) {
    return std::nullopt;
  }
  to.address = reply.text.substr(second + 1);
  return to;
}

} // namespace

std::uint16_t key_slot(std::string_view key) {
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16(key) & 16383;
}

Router::Router(Settings settings)
    : m_settings(std::move(settings)), m_seed_owner(std::make_unique<Client>(m_settings)),
      m_seed(m_seed_owner.get()) {
  load_slots();
}

Router::~Router() = default;

void Router::load_slots() {
  // A server without cluster support answers CLUSTER SLOTS with an error.
  auto reply = std::move(m_seed->pipeline({{"CLUSTER", "SLOTS"}}).front());
  if (reply.is_error() || reply.type != Reply::Type::array) {
    return;
  }
  m_cluster = true;
  m_addresses.clear();
  for (const auto& range : reply.elements) {
    if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) {
      continue;
    }
    const auto& master = range.elements[2];
    // An empty host means "the address you reached me on".
    auto host =
        master.elements[0].text.empty() ? m_settings.endpoint.host : master.elements[0].text;
    Endpoint master_endpoint;
    master_endpoint.host = host;
    master_endpoint.port = static_cast<int>(master.elements[1].integer);
    auto index = address_index(master_endpoint.address());
    for (auto slot = range.elements[0].integer; slot <= range.elements[1].integer && slot < 16384;
         ++slot) {
      m_slot_owner[static_cast<std::size_t>(slot)] = index;
    }
  }
  if (m_addresses.empty()) {
    throw_failed(fmt::format("Redis Cluster at {} serves no slots", m_seed->address()));
  }
  // The seed's connection serves its own slots too.
  m_nodes.emplace(m_seed->address(), std::move(m_seed_owner));
}

std::uint16_t Router::address_index(const std::string& address) {
  auto known = std::find(m_addresses.begin(), m_addresses.end(), address);
  if (known == m_addresses.end()) {
    m_addresses.push_back(address);
    known = m_addresses.end() - 1;
  }
  return static_cast<std::uint16_t>(known - m_addresses.begin());
}

Client& Router::node(const std::string& address) {
  auto found = m_nodes.find(address);
  if (found != m_nodes.end()) {
    return *found->second;
  }
  auto settings = m_settings;
  auto [host, port] = net::split_address(address);
  settings.endpoint.host = host;
  settings.endpoint.port = port;
  // Cluster nodes share one keyspace: no database but 0.
  settings.endpoint.database = 0;
  // Connected before it is remembered: a node that cannot be reached is
  // tried again next time, never left as an empty entry.
  auto client = std::make_unique<Client>(settings);
  return *m_nodes.emplace(address, std::move(client)).first->second;
}

std::vector<Reply> Router::routed(std::string_view key,
                                  const std::vector<Command>& commands,
                                  const std::function<Command()>& fallback) {
  auto no_script = [&](const std::vector<Reply>& replies) {
    return fallback && replies.size() == 1 && replies.front().error_code() == "NOSCRIPT";
  };
  if (!m_cluster) {
    auto replies = m_seed->pipeline(commands);
    if (no_script(replies)) {
      replies = m_seed->pipeline({fallback()});
    }
    return replies;
  }
  auto slot = key_slot(key);
  std::string address = m_addresses[m_slot_owner[slot]];
  bool asking = false;
  auto try_again_until = std::chrono::steady_clock::now() + m_settings.command_timeout;
  auto try_again_pause = k_first_pause;
  for (int redirected = 0; redirected <= k_max_redirections;) {
    auto& client = node(address);
    auto send = [&](const std::vector<Command>& what) {
      if (!asking) {
        return client.pipeline(what);
      }
      std::vector<Command> with_asking{{"ASKING"}};
      with_asking.insert(with_asking.end(), what.begin(), what.end());
      auto replies = client.pipeline(with_asking);
      replies.erase(replies.begin());
      return replies;
    };
    auto replies = send(commands);
    if (no_script(replies)) {
      // EVAL also caches the script there, so the next EVALSHA succeeds.
      replies = send({fallback()});
    }
    auto first_error = std::find_if(
        replies.begin(), replies.end(), [](const Reply& reply) { return reply.is_error(); });
    if (first_error == replies.end()) {
      return replies;
    }
    if (first_error->error_code() == "TRYAGAIN" &&
        std::chrono::steady_clock::now() + try_again_pause < try_again_until) {
      // A multi-key command while the slot's keys are split between nodes.
      std::this_thread::sleep_for(try_again_pause);
      try_again_pause = std::min(try_again_pause * 2, k_longest_pause);
      continue;
    }
    auto to = redirection(*first_error);
    if (!to) {
      return replies;
    }
    ++m_redirections;
    if (++redirected > k_free_redirections) {
      std::this_thread::sleep_for(k_first_pause * (redirected - k_free_redirections));
    }
    asking = to->ask;
    address = to->address;
    if (!to->ask) {
      m_slot_owner[to->slot] = address_index(address);
    }
  }
  throw_failed(fmt::format("Redis Cluster: slot {} was redirected more than {} times (last to {})",
                           slot,
                           k_max_redirections,
                           address));
}

std::vector<Reply> Router::pipeline(std::string_view key, const std::vector<Command>& commands) {
  return routed(key, commands, {});
}

Reply Router::command(std::string_view key, const Command& command) {
  auto reply = std::move(routed(key, {command}, {}).front());
  if (reply.is_error()) {
    throw_failed(fmt::format("Redis: {}: {}", command.front(), redact(reply.text)));
  }
  return reply;
}

Reply Router::eval(const Script& script,
                   const std::vector<std::string>& keys,
                   const std::vector<std::string>& arguments) {
  auto reply = std::move(routed(keys.empty() ? std::string_view() : keys.front(),
                                {eval_command(true, script, keys, arguments)},
                                [&] { return eval_command(false, script, keys, arguments); })
                             .front());
  if (reply.is_error()) {
    throw_failed(
        fmt::format("Redis: script {}: {}", script.sha1.substr(0, 12), redact(reply.text)));
  }
  return reply;
}

Client& Router::node_for(std::string_view key) {
  return m_cluster ? node(m_addresses[m_slot_owner[key_slot(key)]]) : *m_seed;
}

std::vector<Client*> Router::masters() {
  if (!m_cluster) {
    return {m_seed};
  }
  // Only addresses that still own a slot (one may have lost all of its).
  std::vector<bool> owns(m_addresses.size(), false);
  for (auto index : m_slot_owner) {
    owns[index] = true;
  }
  std::vector<Client*> clients;
  for (std::size_t index = 0; index < m_addresses.size(); ++index) {
    if (owns[index]) {
      clients.push_back(&node(m_addresses[index]));
    }
  }
  return clients;
}

} // namespace golfops::core::redis
