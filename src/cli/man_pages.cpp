#include "cli/man_pages.hpp"

#include "cli/command_tree.hpp"
#include "cli/introspect.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace golfops::cli {
namespace {

// Text for roff: backslashes and hyphens escaped (a bare '-' may become a
// typographic hyphen, and `golfops migrate up --to` must copy and paste),
// and a line starting with '.' or '\'' kept from being read as a request.
std::string roff_text(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) {
      out += "\\&";
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  return text;
}

std::string header(std::string_view name, std::string_view version) {
  // No date: the pages are committed and must not change with the day they
  // were generated on.
  return fmt::format(
      ".TH {} 1 \"\" \"golfops {}\" \"golfops manual\"\n", upper(std::string(name)), version);
}

// The options a page lists: visible ones, without --help (every command
// has it).
std::vector<const CLI::Option*> listed_options(const CLI::App* command) {
  std::vector<const CLI::Option*> listed;
  for (const auto* option : command->get_options()) {
    if (!option->get_group().empty() && !option->check_lname("help")) {
      listed.push_back(option);
    }
  }
  return listed;
}

std::string options_section(const CLI::App* command) {
  std::string text;
  for (const auto* option : listed_options(command)) {
    if (option->nonpositional()) {
      auto value = option->get_expected_min() > 0 ? " \\fI" + option->get_type_name() + "\\fR"
                                                  : std::string();
      text += fmt::format(".TP\n\\fB{}\\fR{}\n", roff_text(option->get_name(false, true)), value);
    } else {
      text += fmt::format(".TP\n\\fI{}\\fR\n", roff_text(option->get_name(true, false)));
    }
    text += roff_text(option->get_description()) + "\n";
  }
  return text;
}

std::string command_line(const std::vector<std::string>& path) {
  return roff_text(fmt::format("golfops {}", fmt::join(path, " ")));
}

// "golfops limits get NAME [OPTIONS]": positionals by name, in order.
std::string synopsis_line(const CommandNode& node) {
  std::string line = ".B " + command_line(node.path) + "\n";
  bool has_flags = false;
  for (const auto* option : listed_options(node.app)) {
    if (option->nonpositional()) {
      has_flags = true;
      continue;
    }
    auto name = roff_text(option->get_name(true, false));
    line += option->get_required() ? fmt::format("\\fI{}\\fR\n", name)
                                   : fmt::format("[\\fI{}\\fR]\n", name);
  }
  if (has_flags) {
    line += "[\\fIOPTIONS\\fR]\n";
  }
  return line;
}

// A family's own command gets an entry when it does something itself
// (`backup`, `health`), not when it only groups subcommands (`limits`).
bool runs_itself(const CommandNode& node) {
  return visible_subcommands(node.app).empty() || !listed_options(node.app).empty();
}

// A command's footer (notes and EXAMPLES) as --help shows it, without the
// exit-status table every footer ends with: the page has its own section.
std::string footer_section(const CLI::App* command) {
  std::string footer = command->get_footer();
  auto common = footer.find(k_exit_status_help);
  if (common != std::string::npos) {
    footer.erase(common);
  }
  while (!footer.empty() && std::isspace(static_cast<unsigned char>(footer.back())) != 0) {
    footer.pop_back();
  }
  if (footer.empty()) {
    return {};
  }
  return ".PP\n.nf\n" + roff_text(footer) + "\n.fi\n";
}

const char* const k_exit_status_section =
    ".SH EXIT STATUS\n"
    ".TP\n0\nsuccess\n"
    ".TP\n1\nthe operation ran and failed (a check failed, a threshold was missed)\n"
    ".TP\n2\nusage or configuration error: one line names the field, the value and what "
    "is allowed; nothing was changed\n"
    ".TP\n3\na dependency (database, Redis, HTTP target) is unreachable\n"
    ".TP\n4\nrefused for safety (needs \\-\\-yes, lock held, target not empty)\n"
    ".TP\n130, 143\ninterrupted by SIGINT or SIGTERM; the work under way was stopped "
    "cleanly\n";

// The guide in docs/ (installed in /usr/share/doc/golfops) for a family.
std::string guide_for(const std::string& family) {
  if (family == "restore") {
    return "backup.md";
  }
  for (const char* guide : {"backup", "config", "health", "limits", "load", "migrate", "verify"}) {
    if (family == guide) {
      return family + ".md";
    }
  }
  return "commands.md";
}

std::string family_page(const CLI::App& root,
                        const CommandNode& family,
                        const std::vector<CommandNode>& members,
                        std::string_view version) {
  const auto& name = family.path.front();
  auto page_name = "golfops-" + name;
  std::string out = header(page_name, version);
  out += fmt::format(
      ".SH NAME\n{} \\- {}\n", roff_text(page_name), roff_text(family.app->get_description()));
  out += ".SH SYNOPSIS\n";
  bool first = true;
  for (const auto& member : members) {
    if (!runs_itself(member)) {
      continue;
    }
    out += (first ? "" : ".br\n") + synopsis_line(member);
    first = false;
  }
  out += ".SH COMMANDS\n";
  for (const auto& member : members) {
    if (!runs_itself(member) && member.path.size() == 1) {
      out += footer_section(member.app); // its description is the page's NAME
      continue;
    }
    out += fmt::format(
        ".SS {}\n{}\n", command_line(member.path), roff_text(member.app->get_description()));
    out += options_section(member.app);
    out += footer_section(member.app);
  }
  out += ".SH GLOBAL OPTIONS\n" + options_section(&root);
  out += k_exit_status_section;
  out +=
      fmt::format(".SH SEE ALSO\n.BR golfops (1),\n/usr/share/doc/golfops/{}\n", guide_for(name));
  return out;
}

std::string overview_page(const CLI::App& root,
                          const std::vector<const CommandNode*>& families,
                          std::string_view version) {
  std::string out = header("golfops", version);
  out += fmt::format(".SH NAME\ngolfops \\- {}\n", roff_text(root.get_description()));
  out += ".SH SYNOPSIS\n.B golfops\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  out += ".SH DESCRIPTION\n"
         "One binary for the operations of a web service backed by PostgreSQL and Redis. "
         "Every command shares the same global options, output formats (\\-o table, "
         "\\-o json), exit status and secret handling: passwords come from files or the "
         "environment and never appear in output, logs or another process's arguments.\n"
         ".PP\nEach command family has its own page, listed below; the guides, the "
         "on-call runbook and the JSON reference are in /usr/share/doc/golfops.\n";
  out += ".SH COMMANDS\n";
  for (const auto* family : families) {
    out += fmt::format(".TP\n.BR golfops\\-{} (1)\n{}\n",
                       roff_text(family->path.front()),
                       roff_text(family->app->get_description()));
  }
  out += ".SH GLOBAL OPTIONS\n" + options_section(&root);
  out += k_exit_status_section;
  out += ".SH ENVIRONMENT\n"
         ".TP\n.B GOLFOPS_CONFIG\nthe config file to read\n"
         ".TP\n.B GOLFOPS_<SECTION>_<KEY>\nany config key, e.g. "
         "GOLFOPS_DATABASE_CONNECT_TIMEOUT\n"
         ".TP\n.B DATABASE_URL, REDIS_URL, PGHOST, PGPASSWORD ...\nthe standard connection "
         "variables\n"
         ".TP\n.B NO_COLOR\nno colour\n";
  out += ".SH FILES\n"
         "The first that exists, unless \\-\\-config or GOLFOPS_CONFIG names one:\n"
         ".TP\n.I ./golfops.toml\n"
         ".TP\n.I $XDG_CONFIG_HOME/golfops/config.toml\n"
         ".TP\n.I /etc/golfops/config.toml\n"
         "(the package installs a commented example next to it, config.toml.example)\n";
  out += ".SH SEE ALSO\n";
  for (std::size_t i = 0; i < families.size(); ++i) {
    out += fmt::format(".BR golfops\\-{} (1){}\n",
                       roff_text(families[i]->path.front()),
                       i + 1 < families.size() ? "," : "");
  }
  return out;
}

} // namespace

std::vector<ManPage> man_pages(const CLI::App& app, const std::string& version) {
  auto nodes = visible_commands(app);
  std::vector<const CommandNode*> families;
  for (const auto& node : nodes) {
    if (node.path.size() == 1) {
      families.push_back(&node);
    }
  }
  std::vector<ManPage> pages;
  pages.push_back({"golfops.1", overview_page(app, families, version)});
  for (const auto* family : families) {
    std::vector<CommandNode> members;
    for (const auto& node : nodes) {
      if (!node.path.empty() && node.path.front() == family->path.front()) {
        members.push_back(node);
      }
    }
    pages.push_back(
        {"golfops-" + family->path.front() + ".1", family_page(app, *family, members, version)});
  }
  return pages;
}

} // namespace golfops::cli
