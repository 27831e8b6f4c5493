#pragma once

#include "commands/limits/rule.hpp"
#include "core/redis/cluster.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace golfops::commands::limits {

// Where a rule's buckets live in Redis (docs/limits.md, "Keys"): each
// bucket's keys share the hash tag {<scope>:<value>}, so a script touching
// them all runs on one Redis Cluster node:
//   <prefix><rule>:{<scope>:<value>}     state (the algorithm's)
//   <prefix><rule>:{<scope>:<value>}:s   stats: c:<hour> checks, d:<hour> over
//   <prefix><rule>:{<scope>:<value>}:v   violations: capped stream
struct BucketKeys {
  std::string state;
  std::string stats;
  std::string violations;
};
BucketKeys bucket_keys(std::string_view prefix, const Rule& rule, std::string_view value);

// A key golfops' scripts write, read back.
struct BucketName {
  enum class Kind { state, stats, violations };
  Kind kind = Kind::state;
  std::string rule;
  std::string scope;
  std::string value;
};
std::optional<BucketName> parse_bucket_key(std::string_view prefix, std::string_view key);
// SCAN MATCH pattern for every key of `rule` (every rule when empty).
std::string bucket_pattern(std::string_view prefix, std::string_view rule);

// An API key is a secret: shown by its first four characters (none when
// short) and four hex digits of its SHA-256, so two keys stay apart.
std::string display_value(std::string_view scope, std::string_view value);

// An IP address in the one form buckets use (inet_ntop's: IPv6 compressed
// and lower-case, IPv4-mapped IPv6 as IPv4); the text itself when it is
// not an address.
std::string canonical_ip(std::string_view text);

// Who is asking for what: a service's request as `check` and `explain` see it.
struct Request {
  std::string resource;
  std::string ip;
  std::string user;
  std::string api_key;
};

// Whether `rule` counts `request`, the bucket's value if so, and why not
// otherwise ("for resource api_auth", "needs --user").
struct Match {
  bool applies = false;
  std::string value;
  std::string reason;
};
Match match(const Rule& rule, const Request& request);
// The flag that gives a request's value for `scope` (--ip, --user,
// --api-key; global needs none).
std::string_view scope_flag(Scope scope);

// What a script answered (limits/scripts/*.lua: the same tuple for every
// algorithm).
struct Decision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_ms = 0;
  std::int64_t retry_after_ms = 0;
  bool exceeded = false; // over the limit (a shadow rule still allows)
  std::int64_t now_ms = 0;
};

// A number Redis holds (a field golfops' scripts wrote); Error(failed)
// naming `where` when it is not one.
std::int64_t redis_integer(std::string_view text, std::string_view where);

// Runs the rule's script on its bucket: `cost` requests (0: look only,
// nothing changes).
Decision run_script(core::redis::Router& router,
                    std::string_view prefix,
                    const Rule& rule,
                    std::string_view value,
                    std::int64_t cost);

// The script's arguments for `rule` and `cost`.
std::vector<std::string> script_arguments(const Rule& rule, std::int64_t cost);
Decision decision_from(const core::redis::Reply& reply);

} // namespace golfops::commands::limits
