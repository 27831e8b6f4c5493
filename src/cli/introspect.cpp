#include "cli/introspect.hpp"

#include "cli/command_tree.hpp"
#include "cli/man_pages.hpp"

#include <fmt/format.h>
#include <functional>
#include <set>
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

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const auto* sub : visible_subcommands(app)) {
    names.push_back(sub->get_name());
  }
  return names;
}

// A command's visible options, each with its names and help text.
struct OptionWords {
  std::vector<std::string> long_names;  // without the dashes
  std::vector<std::string> short_names; // without the dash
  std::string description;
  bool takes_value = false;
};

std::vector<OptionWords> described_options(const CLI::App* app) {
  std::vector<OptionWords> options;
  for (const auto* option : app->get_options()) {
    if (option->get_group().empty()) {
      continue;
    }
    options.push_back({option->get_lnames(),
                       option->get_snames(),
                       option->get_description(),
                       option->get_expected_min() > 0});
  }
  return options;
}

// The options offered at a node: its own, then the root's (global options
// apply below every subcommand) that it does not define itself (--help).
std::vector<OptionWords> described_options_below(const CLI::App& root, const CommandNode& node) {
  auto options = described_options(node.app);
  if (node.path.empty()) {
    return options;
  }
  std::set<std::string> names;
  for (const auto& option : options) {
    names.insert(option.long_names.begin(), option.long_names.end());
    names.insert(option.short_names.begin(), option.short_names.end());
  }
  for (auto global : described_options(&root)) {
    std::erase_if(global.long_names, [&](const auto& name) { return names.contains(name); });
    std::erase_if(global.short_names, [&](const auto& name) { return names.contains(name); });
    if (!global.long_names.empty() || !global.short_names.empty()) {
      options.push_back(std::move(global));
    }
  }
  return options;
}

// The same as words on a command line: --name and -n.
std::vector<std::string> option_words_below(const CLI::App& root, const CommandNode& node) {
  std::vector<std::string> words;
  for (const auto& option : described_options_below(root, node)) {
    for (const auto& name : option.long_names) {
      words.push_back("--" + name);
    }
    for (const auto& name : option.short_names) {
      words.push_back("-" + name);
    }
  }
  return words;
}

// The subcommand paths completion recognises, as the shells' case patterns
// and lists spell them: "dev up" and so on (the root's empty path excluded).
std::vector<std::string> known_paths(const CLI::App& root) {
  std::vector<std::string> known;
  for (const auto& node : visible_commands(root)) {
    if (!node.path.empty()) {
      known.push_back(fmt::format("{}", fmt::join(node.path, " ")));
    }
  }
  return known;
}

// Quoting for each shell. Help texts hold apostrophes ("another run's lock"),
// backticks and dollar signs; a quote the shell misreads breaks the script.
std::string single_quoted_posix(std::string_view text) { // bash and zsh
  std::string out = "'";
  for (char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string single_quoted_fish(std::string_view text) { // fish: \' and \\ only
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

std::string bash_script(const CLI::App& root) {
  std::string cases;
  for (const auto& node : visible_commands(root)) {
    auto words = subcommand_names(node.app);
    for (const auto& option : option_words_below(root, node)) {
      words.push_back(option);
    }
    cases += fmt::format(
        "    \"{}\") words=\"{}\" ;;\n", fmt::join(node.path, " "), fmt::join(words, " "));
  }
  std::vector<std::string> known;
  for (const auto& path : known_paths(root)) {
    known.push_back(fmt::format("\"{}\"", path));
  }
  // Every variable is local: completion must not change the user's shell.
  return fmt::format(R"(# bash completion for golfops (generated from its CLI definitions)
_golfops() {{
  local current="${{COMP_WORDS[COMP_CWORD]}}" seen="" word words="" candidate i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    [[ "$word" == -* ]] && continue
    case "$seen" in
      "") candidate="$word" ;;
      *) candidate="$seen $word" ;;
    esac
    if _golfops_known "$candidate"; then seen="$candidate"; fi
  done
  case "$seen" in
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
                     fmt::join(known, "|"));
}

std::string zsh_script(const CLI::App& root) {
  std::string cases;
  for (const auto& node : visible_commands(root)) {
    std::vector<std::string> commands;
    for (const auto* sub : visible_subcommands(node.app)) {
      commands.push_back(
          single_quoted_posix(fmt::format("{}:{}", sub->get_name(), sub->get_description())));
    }
    std::vector<std::string> option_entries;
    for (const auto& option : described_options_below(root, node)) {
      for (const auto& name : option.long_names) {
        option_entries.push_back(
            single_quoted_posix(fmt::format("--{}:{}", name, option.description)));
      }
      for (const auto& name : option.short_names) {
        option_entries.push_back(
            single_quoted_posix(fmt::format("-{}:{}", name, option.description)));
      }
    }
    cases += fmt::format("    ({})\n      commands=({})\n      options=({})\n      ;;\n",
                         single_quoted_posix(fmt::format("{}", fmt::join(node.path, " "))),
                         fmt::join(commands, " "),
                         fmt::join(option_entries, " "));
  }
  std::vector<std::string> known;
  for (const auto& path : known_paths(root)) {
    known.push_back(single_quoted_posix(path));
  }
  return fmt::format(R"(#compdef golfops
# zsh completion for golfops (generated from its CLI definitions)
_golfops() {{
  local seen="" word next ret=1
  local -a commands options
  local -i i
  for ((i = 2; i < CURRENT; i++)); do
    word=${{words[i]}}
    [[ $word == -* ]] && continue
    next=${{seen:+$seen }}$word
    case $next in
      ({}) seen=$next ;;
    esac
  done
  case $seen in
{}  esac
  if [[ $PREFIX == -* ]]; then
    _describe -t options 'golfops option' options && ret=0
  elif (( $#commands )); then
    _describe -t commands 'golfops command' commands && ret=0
  else
    _files && ret=0
  fi
  return ret
}}
if [[ "$funcstack[1]" == _golfops ]]; then
  _golfops "$@"
else
  compdef _golfops golfops
fi
)",
                     fmt::join(known, "|"),
                     cases);
}

std::string fish_script(const CLI::App& root) {
  std::vector<std::string> known;
  for (const auto& path : known_paths(root)) {
    known.push_back(single_quoted_fish(path));
  }
  std::string out =
      fmt::format(R"(# fish completion for golfops (generated from its CLI definitions)
function __golfops_path --description 'The golfops subcommand on the command line, as "dev up"'
    set -l words (commandline -opc)
    set -e words[1]
    set -l seen
    for word in $words
        string match -q -- '-*' $word; and continue
        set -l candidate (string join ' ' $seen $word)
        contains -- $candidate {}; and set seen $seen $word
    end
    string join ' ' $seen
end
function __golfops_at --description 'Whether the command line is at this golfops subcommand'
    set -l seen (__golfops_path)
    test "$seen" = "$argv[1]"
end
complete -c golfops -f
)",
                  fmt::join(known, " "));
  for (const auto& node : visible_commands(root)) {
    auto condition =
        single_quoted_fish(fmt::format("__golfops_at '{}'", fmt::join(node.path, " ")));
    for (const auto* sub : visible_subcommands(node.app)) {
      out += fmt::format("complete -c golfops -n {} -a {} -d {}\n",
                         condition,
                         single_quoted_fish(sub->get_name()),
                         single_quoted_fish(sub->get_description()));
    }
    for (const auto& option : described_options(node.app)) {
      std::string names;
      for (const auto& name : option.long_names) {
        names += " -l " + single_quoted_fish(name);
      }
      for (const auto& name : option.short_names) {
        names += " -s " + single_quoted_fish(name);
      }
      // The root's options (--config, -o ...) apply below every subcommand too.
      out += fmt::format("complete -c golfops{}{}{} -d {}\n",
                         node.path.empty() ? "" : " -n " + condition,
                         names,
                         option.takes_value ? " -r" : "",
                         single_quoted_fish(option.description));
    }
  }
  return out;
}

} // namespace

std::string completion_script(const CLI::App& app, const std::string& shell) {
  if (shell == "bash") {
    return bash_script(app);
  }
  if (shell == "zsh") {
    return zsh_script(app);
  }
  return fish_script(app);
}

std::vector<GeneratedFile> generated_files(const CLI::App& app, const std::string& version) {
  std::vector<GeneratedFile> files;
  for (auto& page : man_pages(app, version)) {
    files.push_back({"man/" + page.file_name, std::move(page.text)});
  }
  // The names each shell's completion directory expects.
  files.push_back({"completions/golfops.bash", bash_script(app)});
  files.push_back({"completions/_golfops", zsh_script(app)});
  files.push_back({"completions/golfops.fish", fish_script(app)});
  return files;
}

} // namespace golfops::cli
