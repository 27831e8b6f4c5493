#include "commands/backup/backup.hpp"
#include "commands/backup/catalog.hpp"

namespace golfops::commands::backup {

ListResult run_list(const BackupOptions& options, core::Context& context) {
  std::vector<std::string> problems;
  ListResult result{list_backups(options, options.database, &problems), options.dir};
  for (const auto& problem : problems) {
    context.log.warning(problem);
  }
  return result;
}

} // namespace golfops::commands::backup
