#include "core/output/textfile.hpp"

#include "core/fs.hpp"
#include "core/redact.hpp"

#include <fmt/format.h>

namespace golfops::core::output {

void write_textfile(const std::filesystem::path& path, std::string_view metrics) {
  write_named_file(path, redact(std::string(metrics)), 0644);
}

std::string error_metric(std::string_view name,
                         std::string_view help,
                         const Error& error,
                         std::string_view labels) {
  auto reason = error.failure() != Failure::none  ? std::string(to_string(error.failure()))
                : error.code() == ExitCode::usage ? std::string("usage")
                                                  : std::string("failed");
  return fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0}{{{2}{3}reason=\"{4}\"}} 1\n",
                     name,
                     help,
                     labels,
                     labels.empty() ? "" : ",",
                     reason);
}

std::string ok_metric(std::string_view name, std::string_view help, std::string_view labels) {
  return fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0}{2} 0\n",
                     name,
                     help,
                     labels.empty() ? std::string() : fmt::format("{{{}}}", labels));
}

std::string label_value(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      escaped += '\\';
      escaped += c;
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string metrics_file_in(const std::vector<std::string>& words) {
  for (std::size_t index = 0; index < words.size(); ++index) {
    if (words[index] == "--metrics-file" && index + 1 < words.size()) {
      return words[index + 1];
    }
    if (words[index].starts_with("--metrics-file=")) {
      return words[index].substr(15);
    }
  }
  return {};
}

} // namespace golfops::core::output
