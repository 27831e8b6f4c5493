#include "commands/verify/verify.hpp"
#include "core/clock.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <unistd.h>

namespace golfops::commands::verify {
namespace {

// Text as the file shows it: secrets redacted (a condition naming
// ${TOKEN} holds it), then escaped for XML.
std::string shown(std::string_view text) {
  return core::escape_markup(core::redact(text));
}

// The failure's type attribute: its reason, or what cut it short.
std::string failure_type(const Outcome& check) {
  auto reason = core::checks::to_string(check.reason);
  if (!reason.empty()) {
    return std::string(reason);
  }
  return check.message.starts_with("interrupted by") ? "interrupted" : "failure";
}

// JUnit's schema wants ISO 8601 without a time zone: UTC, without the Z.
std::string junit_timestamp() {
  auto stamp = core::format_utc(std::chrono::system_clock::now());
  stamp.pop_back();
  return stamp;
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) {
    return "localhost";
  }
  return name;
}

} // namespace

std::string junit_xml(const VerifyResult& result) {
  auto count = [&](auto predicate) {
    return std::count_if(result.checks.begin(), result.checks.end(), predicate);
  };
  auto failures =
      count([](const Outcome& check) { return check.status == Status::fail && check.critical; });
  auto skipped = count([](const Outcome& check) { return check.status == Status::skip; });
  auto tests = result.checks.size();
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"golfops verify\" tests=\"{}\" failures=\"{}\" "
                     "errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     tests,
                     failures,
                     skipped,
                     result.seconds);
  out += fmt::format("  <testsuite name=\"golfops verify\" tests=\"{}\" failures=\"{}\" "
                     "errors=\"0\" skipped=\"{}\" time=\"{:.3f}\" timestamp=\"{}\" "
                     "hostname=\"{}\">\n",
                     tests,
                     failures,
                     skipped,
                     result.seconds,
                     junit_timestamp(),
                     shown(hostname()));
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"base_url\" value=\"{}\"/>\n", shown(result.base_url));
  out += fmt::format("      <property name=\"rounds\" value=\"{}\"/>\n", result.rounds);
  out += "    </properties>\n";
  for (const auto& check : result.checks) {
    auto open = fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                            check.builtin ? "golfops.verify" : "golfops.verify.suite",
                            shown(check.name),
                            check.seconds);
    switch (check.status) {
    case Status::pass:
      out += open + "/>\n";
      break;
    case Status::skip:
      out += open + fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                                shown(check.message));
      break;
    case Status::fail:
      if (!check.critical) {
        // A warning: CI shows it without failing the build, as the exit code does.
        out +=
            open + fmt::format(">\n      <system-out>warning: {}</system-out>\n    </testcase>\n",
                               shown(check.message));
        break;
      }
      out += open + fmt::format(">\n      <failure message=\"{}\" type=\"{}\">{}{}</failure>\n"
                                "    </testcase>\n",
                                shown(check.message),
                                shown(failure_type(check)),
                                shown(check.target.empty() ? "" : check.target + ": "),
                                shown(check.message));
      break;
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

} // namespace golfops::commands::verify
