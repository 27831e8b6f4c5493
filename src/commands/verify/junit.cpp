#include "commands/verify/verify.hpp"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <unistd.h>

namespace golfops::commands::verify {
namespace {

// Text for an XML attribute or element: the five entities escaped, and
// characters XML 1.0 forbids (control characters other than tab and line
// breaks) replaced, so any message makes a well-formed file.
std::string xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        out.push_back('?');
      } else {
        out.push_back(c);
      }
    }
  }
  return out;
}

std::string timestamp() {
  auto now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  return text;
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
                     timestamp(),
                     xml(hostname()));
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"base_url\" value=\"{}\"/>\n", xml(result.base_url));
  out += fmt::format("      <property name=\"rounds\" value=\"{}\"/>\n", result.rounds);
  out += "    </properties>\n";
  for (const auto& check : result.checks) {
    auto open = fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                            check.builtin ? "golfops.verify" : "golfops.verify.suite",
                            xml(check.name),
                            check.seconds);
    switch (check.status) {
    case Status::pass:
      out += open + "/>\n";
      break;
    case Status::skip:
      out += open + fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                                xml(check.message));
      break;
    case Status::fail:
      if (!check.critical) {
        // A warning: CI shows it without failing the build, as the exit code does.
        out +=
            open + fmt::format(">\n      <system-out>warning: {}</system-out>\n    </testcase>\n",
                               xml(check.message));
        break;
      }
      out += open + fmt::format(">\n      <failure message=\"{}\" type=\"{}\">{}{}</failure>\n"
                                "    </testcase>\n",
                                xml(check.message),
                                xml(core::checks::to_string(check.reason)),
                                xml(check.target.empty() ? "" : check.target + ": "),
                                xml(check.message));
      break;
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

} // namespace golfops::commands::verify
