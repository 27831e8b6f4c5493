#pragma once

#include <ctime>
#include <string>
#include <vector>

namespace golfops::commands::backup {

// How many backups `prune` keeps, as restic's forget counts them: the
// newest `last`; and for each of the newest `daily` days (weeks, months)
// that have a backup, that period's newest one. Periods are UTC calendar
// days, ISO weeks and months. A backup any rule keeps stays.
struct RetentionPolicy {
  int last = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;

  bool empty() const { return last == 0 && daily == 0 && weekly == 0 && monthly == 0; }
};

struct RetentionCandidate {
  std::string id;
  std::time_t created = 0;
  bool verified = false;
};

struct RetentionDecision {
  std::string id;
  bool keep = false;
  std::vector<std::string> reasons; // "last 1", "daily 2026-11-24", "newest verified"
};

// Decides for every candidate, newest first. Whatever the policy says, the
// newest verified backup is kept: pruning must never leave only backups
// nobody has checked. An empty policy keeps everything (the caller refuses
// to prune with one).
std::vector<RetentionDecision> apply_retention(std::vector<RetentionCandidate> candidates,
                                               const RetentionPolicy& policy);

} // namespace golfops::commands::backup
