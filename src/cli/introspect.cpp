#include "cli/introspect.hpp"

#include <fmt/format.h>
#include <functional>
#include <vector>

namespace golfops::cli {

const char* const k_exit_status_help =
    "EXIT STATUS:\n"
    "  0  success\n"
    "  1  the operation ran and failed\n"
    "  2  usage or configuration error\n"
    "  3  a dependency (database, Redis, HTTP target) is unreachable\n"
    "  4  refused for safety (needs --yes, lock held, target not empty)\n"
    "  130, 143  interrupted by SIGINT, SIGTERM";

namespace {

struct Node {
  std::vector<std::string> path; // subcommand names below the root
  const CLI::App* app;
};

std::vector<Node> visible_commands(const CLI::App& root) {
  std::vector<Node> nodes;
  std::function<void(const CLI::App*, std::vector<std::string>)> walk =
      [&](const CLI::App* app, std::vector<std::string> path) {
        nodes.push_back({path, app});
        for (const auto* sub : app->get_subcommands(
                 [](const CLI::App* candidate) { return !candidate->get_group().empty(); })) {
          auto child = path;
          child.push_back(sub->get_name());
          walk(sub, child);
        }
      };
  walk(&root, {});
  return nodes;
}

std::vector<std::string> option_words(const CLI::App* app) {
  std::vector<std::string> words;
  for (const auto* option : app->get_options()) {
    if (option->get_group().empty()) {
      continue;
    }
    for (const auto& name : option->get_lnames()) {
      words.push_back("--" + name);
    }
    for (const auto& name : option->get_snames()) {
      words.push_back("-" + name);
    }
  }
  return words;
}

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const auto* sub : app->get_subcommands(
           [](const CLI::App* candidate) { return !candidate->get_group().empty(); })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string bash_script(const CLI::App& root) {
  std::string cases;
  for (const auto& node : visible_commands(root)) {
    auto words = subcommand_names(node.app);
    auto options = option_words(node.app);
    if (!node.path.empty()) {
      auto globals = option_words(&root);
      options.insert(options.end(), globals.begin(), globals.end());
    }
    words.insert(words.end(), options.begin(), options.end());
    cases += fmt::format(
        "    \"{}\") words=\"{}\" ;;\n", fmt::join(node.path, " "), fmt::join(words, " "));
  }
  return fmt::format(R"(# bash completion for golfops (generated from its CLI definitions)
_golfops() {{
  local current="${{COMP_WORDS[COMP_CWORD]}}" path="" word words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    [[ "$word" == -* ]] && continue
    case "$path" in
      "") candidate="$word" ;;
      *) candidate="$path $word" ;;
    esac
    if _golfops_known "$candidate"; then path="$candidate"; fi
  done
  case "$path" in
{}  esac
  COMPREPLY=($(compgen -W "$words" -- "$current"))
}}
_golfops_known() {{
  case "$1" in
    {}) return 0 ;;
  esac
  return 1
}}
complete -o default -F _golfops golfops
)",
                     cases,
                     [&] {
                       std::vector<std::string> known;
                       for (const auto& node : visible_commands(root)) {
                         if (!node.path.empty()) {
                           known.push_back(fmt::format("\"{}\"", fmt::join(node.path, " ")));
                         }
                       }
                       return fmt::format("{}", fmt::join(known, "|"));
                     }());
}

std::string fish_script(const CLI::App& root) {
  std::string out = "# fish completion for golfops (generated from its CLI definitions)\n"
                    "complete -c golfops -f\n";
  for (const auto& node : visible_commands(root)) {
    std::string condition;
    if (node.path.empty()) {
      condition = "__fish_use_subcommand";
    } else {
      std::vector<std::string> tests;
      for (const auto& name : node.path) {
        tests.push_back(fmt::format("__fish_seen_subcommand_from {}", name));
      }
      condition = fmt::format("{}", fmt::join(tests, "; and "));
    }
    for (const auto* sub : node.app->get_subcommands(
             [](const CLI::App* candidate) { return !candidate->get_group().empty(); })) {
      out += fmt::format("complete -c golfops -n '{}' -a {} -d '{}'\n",
                         condition,
                         sub->get_name(),
                         sub->get_description());
    }
    for (const auto* option : node.app->get_options()) {
      if (option->get_group().empty()) {
        continue;
      }
      for (const auto& name : option->get_lnames()) {
        out += fmt::format("complete -c golfops -n '{}' -l {}{} -d '{}'\n",
                           node.path.empty() ? "true" : condition,
                           name,
                           option->get_expected_min() > 0 ? " -r" : "",
                           option->get_description());
      }
    }
  }
  return out;
}

std::string roff_escape(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) {
    out.insert(0, "\\&");
  }
  return out;
}

} // namespace

std::string completion_script(const CLI::App& app, const std::string& shell) {
  if (shell == "bash") {
    return bash_script(app);
  }
  if (shell == "zsh") {
    // zsh runs the bash function through bashcompinit: one generated source.
    return "#compdef golfops\n# zsh completion for golfops (generated from its CLI definitions)\n"
           "autoload -U +X bashcompinit && bashcompinit\n" +
           bash_script(app);
  }
  return fish_script(app);
}

std::string man_page(const CLI::App& app, const std::string& version) {
  std::string out =
      fmt::format(".TH GOLFOPS 1 \"\" \"golfops {}\" \"User Commands\"\n"
                  ".SH NAME\ngolfops \\- {}\n"
                  ".SH SYNOPSIS\n.B golfops\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
                  "[\\fIOPTIONS\\fR]\n",
                  version,
                  roff_escape(app.get_description()));
  auto options_section = [&](const CLI::App* command) {
    std::string text;
    for (const auto* option : command->get_options()) {
      if (option->get_group().empty()) {
        continue;
      }
      text += fmt::format(".TP\n.B {}\n{}\n",
                          roff_escape(option->get_name(false, true)),
                          roff_escape(option->get_description()));
    }
    return text;
  };
  out += ".SH GLOBAL OPTIONS\n" + options_section(&app);
  out += ".SH COMMANDS\n";
  for (const auto& node : visible_commands(app)) {
    if (node.path.empty()) {
      continue;
    }
    out += fmt::format(".SS golfops {}\n{}\n",
                       roff_escape(fmt::format("{}", fmt::join(node.path, " "))),
                       roff_escape(node.app->get_description()));
    out += options_section(node.app);
  }
  out += ".SH EXIT STATUS\n.TP\n0\nsuccess\n.TP\n1\nthe operation ran and failed\n.TP\n2\n"
         "usage or configuration error\n.TP\n3\na dependency (database, Redis, HTTP target) is "
         "unreachable\n.TP\n4\nrefused for safety (needs \\-\\-yes, lock held, target not empty)\n";
  out += ".SH ENVIRONMENT\n.TP\n.B GOLFOPS_CONFIG\nconfig file to read\n.TP\n.B DATABASE_URL, "
         "REDIS_URL, PG*\nstandard connection variables\n.TP\n.B GOLFOPS_<SECTION>_<KEY>\nany "
         "config key, e.g. GOLFOPS_DATABASE_CONNECT_TIMEOUT\n.TP\n.B NO_COLOR\ndisable colour\n";
  out += ".SH SEE ALSO\nThe docs/ directory of the golfops source.\n";
  return out;
}

} // namespace golfops::cli
