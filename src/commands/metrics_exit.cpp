#include "commands/command.hpp"
#include "core/output/textfile.hpp"

#include <algorithm>

namespace golfops::commands {

ErrorExit metrics_file_error_exit(std::string family,
                                  std::string metric,
                                  std::string help,
                                  std::function<bool()> already_written) {
  return {[family, already_written](const std::vector<std::string>& words) {
            return !(already_written && already_written()) &&
                   std::find(words.begin(), words.end(), family) != words.end() &&
                   !core::output::metrics_file_in(words).empty();
          },
          [metric, help](const core::Error& error,
                         const std::vector<std::string>& words,
                         std::ostream&) -> std::optional<int> {
            try {
              core::output::write_textfile(core::output::metrics_file_in(words),
                                           core::output::error_metric(metric, help, error));
            } catch (const core::Error&) {
              // The error being reported matters more than the file.
            }
            return std::nullopt;
          }};
}

} // namespace golfops::commands
