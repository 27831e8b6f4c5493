#pragma once

#include "commands/limits/limits.hpp"
#include "core/context.hpp"
#include "core/pg/client.hpp"
#include "core/redis/cluster.hpp"

#include <optional>

namespace golfops::commands::limits {

// One PostgreSQL connection and the rule store over it, per command.
struct Session {
  Session(const LimitsOptions& options, core::Context& context);
  core::pg::Client client;
  RuleStore store;
};

// The configured Redis (or Redis Cluster).
core::redis::Router connect_redis(core::Context& context);

// Publishes PostgreSQL's enabled rules unless Redis already holds them:
// a revision row and the Redis copy, committed together. `note` is kept
// with the revision ("rollback to 3").
// `rules` is asked once the publish lock is held, so the set published
// is the newest.
PublishResult publish_rules(Session& session,
                            core::redis::Router& redis,
                            const LimitsOptions& options,
                            const std::function<std::vector<Rule>()>& rules,
                            const std::string& note);

// After create, update, delete, enable, disable and import: publish unless
// --no-publish. A failure says the change itself was made.
std::optional<PublishResult>
publish_after_change(Session& session, const LimitsOptions& options, core::Context& context);

} // namespace golfops::commands::limits
