#include "commands/limits/session.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"

#include <fmt/format.h>

namespace golfops::commands::limits {

Session::Session(const LimitsOptions& options, core::Context& context)
    : client(core::pg::settings_from(context.config)), store(client, options.actor) {}

namespace {

std::function<std::vector<Rule>()> enabled_rules(Session& session) {
  return [&session] { return session.store.list({.enabled = true}); };
}

} // namespace

core::redis::Router connect_redis(core::Context& context) {
  return core::redis::Router(core::redis::settings_from(context.config));
}

PublishResult publish_rules(Session& session,
                            core::redis::Router& redis,
                            const LimitsOptions& options,
                            const std::function<std::vector<Rule>()>& rules_now,
                            const std::string& note) {
  PublishResult result;
  result.channel = channel(options.key_prefix);
  session.store.transaction([&] {
    // One publish at a time (two would number their revisions in one order
    // and reach Redis in the other); the lock ends with the transaction.
    session.client.execute("SELECT pg_advisory_xact_lock(hashtext('golfops.limits.publish'))");
    auto rules = rules_now();
    auto checksum = rules_checksum(rules);
    auto current = read_published(redis, options.key_prefix);
    if (current && current->checksum == checksum) {
      result.revision = std::move(*current);
      result.changed = false;
      return;
    }
    // The revision commits only once Redis has it: every revision row is a
    // rule set that was published.
    Revision revision;
    revision.published_by = options.actor;
    revision.checksum = checksum;
    revision.note = note;
    revision.rules = rules;
    auto inserted = insert_revision(session.client, revision);
    revision.number = inserted.number;
    revision.published_at = inserted.published_at;
    write_published(redis, options.key_prefix, revision);
    result.revision = std::move(revision);
  });
  if (result.changed) {
    // After the commit: a subscriber that reloads at once finds the
    // revision in PostgreSQL too. A lost message leaves Redis right.
    try {
      result.receivers = announce(redis, options.key_prefix, result.revision);
    } catch (const core::Error& error) {
      result.receivers = -1;
      result.announce_error = error.what();
    }
  }
  return result;
}

std::optional<PublishResult>
publish_after_change(Session& session, const LimitsOptions& options, core::Context& context) {
  if (!options.publish) {
    return std::nullopt;
  }
  try {
    auto redis = connect_redis(context);
    return publish_rules(session, redis, options, enabled_rules(session), "");
  } catch (const core::Error& error) {
    throw core::Error(error.code(),
                      fmt::format("the change is saved in PostgreSQL but not published: {} (run "
                                  "golfops limits publish once Redis is back)",
                                  error.what()),
                      error.failure());
  }
}

PublishResult run_publish(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  auto redis = connect_redis(context);
  return publish_rules(session, redis, options, enabled_rules(session), "");
}

PublishResult run_rollback(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  auto revision = find_revision(session.client, options.revision);
  if (!revision) {
    auto newest = list_revisions(session.client, 1);
    core::throw_usage(
        newest.empty()
            ? fmt::format("REV: no revision {} (nothing was published yet)", options.revision)
            : fmt::format("REV: no revision {} (revisions run from 1 to {}; rollback --list shows "
                          "them)",
                          options.revision,
                          newest.front().number));
  }
  auto redis = connect_redis(context);
  return publish_rules(
      session,
      redis,
      options,
      [&] { return revision->rules; },
      fmt::format("rollback to {}", revision->number));
}

RevisionsResult run_revisions(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  RevisionsResult result;
  result.revisions = list_revisions(session.client, options.history_limit);
  auto redis = connect_redis(context);
  if (auto current = read_published(redis, options.key_prefix)) {
    result.current = current->number;
  }
  return result;
}

bool DriftResult::any() const {
  for (const auto& change : changes) {
    if (change.kind != Change::Kind::keep) {
      return true;
    }
  }
  return false;
}

DriftResult run_drift(const LimitsOptions& options, core::Context& context) {
  Session session(options, context);
  auto redis = connect_redis(context);
  auto wanted = session.store.list({.enabled = true});
  auto published = read_published(redis, options.key_prefix);
  DriftResult result;
  result.revision = published ? published->number : 0;
  result.changes = plan_changes(published ? published->rules : std::vector<Rule>{}, wanted, true);
  std::erase_if(result.changes,
                [](const Change& change) { return change.kind == Change::Kind::keep; });
  return result;
}

} // namespace golfops::commands::limits
