#include "core/checks/check.hpp"

#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"
#include "core/units.hpp"

#include <chrono>
#include <fmt/format.h>

namespace golfops::commands::backup {
// health's and verify's `backup` check: the newest verified backup of a
// database is younger than max_age (as seed 001 checks before a deploy).
core::checks::CheckResult probe_backup(const core::checks::CheckSpec& spec,
                                       const core::config::Config& config) {
  using core::checks::Reason;
  auto start = std::chrono::steady_clock::now();
  auto options = options_from(config);
  if (!spec.path.empty()) {
    options.dir = spec.path;
  }
  if (!spec.database.empty()) {
    options.database = spec.database;
  }
  if (spec.redis_backups) {
    options.redis = true;
    options.database = "redis"; // where backup --redis keeps them
  }
  core::checks::CheckResult result;
  result.name = spec.name;
  result.type = spec.type;
  result.critical = spec.critical;
  auto finish = [&](bool ok, Reason reason, std::string message) {
    result.ok = ok;
    result.reason = ok ? Reason::none : reason;
    result.message = std::move(message);
    result.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
  };
  std::string database;
  try {
    database = options.chosen_database();
  } catch (const core::Error& error) {
    return finish(false, Reason::query, error.what());
  }
  result.target = (options.dir / database).string();
  auto max_age = std::chrono::duration<double>(*spec.max_age).count();
  const Manifest* verified = nullptr;
  auto backups = list_backups(options, database);
  for (const auto& manifest : backups) {
    if (!manifest.verified_at.empty()) {
      verified = &manifest;
      break;
    }
  }
  if (verified == nullptr) {
    return finish(false,
                  Reason::stale,
                  backups.empty()
                      ? fmt::format("no backups of {} in {}", database, result.target)
                      : fmt::format("none of the {} backup(s) of {} is verified (newest: {}); run "
                                    "golfops backup verify",
                                    backups.size(),
                                    database,
                                    backups.front().id));
  }
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
  auto age = now.count() - epoch_seconds(verified->finished_at);
  result.measurements.push_back({"backup_age_seconds", age, "s", max_age});
  result.measurements.push_back(
      {"backup_bytes", static_cast<double>(verified->bytes_out), "B", std::nullopt});
  auto described = fmt::format("newest verified backup {} is {} old",
                               verified->id,
                               core::format_duration(std::chrono::seconds(static_cast<long>(age))));
  if (age > max_age) {
    return finish(
        false,
        Reason::stale,
        fmt::format("{}, expected under {}", described, core::format_duration(*spec.max_age)));
  }
  return finish(true, Reason::none, described);
}

} // namespace golfops::commands::backup
