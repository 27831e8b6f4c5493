// GCC 12 reports a false "potential null pointer dereference" in
// std::string moves inside CLI11::detail::split once it is inlined into this
// file (the warning is attributed to libstdc++'s header, so a pragma around
// the CLI11 includes does not reach it).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "cli/app.hpp"

#include "build_info.hpp"
#include "cli/global_options.hpp"
#include "cli/introspect.hpp"
#include "cli/register.hpp"
#include "commands/command.hpp"
#include "core/cancel.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace golfops::cli {
namespace {

using commands::Invocation;
using commands::Outcome;
using commands::Selected;

// Returns the -o option, so main can tell whether a format was asked for.
CLI::Option* add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option(
      "--config", global.config_file, "Config file (default: discovered, see docs/config.md)");
  app.add_option("--env", global.profile, "Use the [env.NAME] profile of the config file");
  // Checked after parsing against what the chosen command renders: table,
  // json and the formats its family declared (health: prometheus, ...).
  auto* output = app.add_option("-o,--output",
                                global.output,
                                "Output format: table, json, or one the command offers (see its "
                                "--help)")
                     ->default_str("table");
  app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
  app.add_flag("-v,--verbose", global.verbose, "Debug diagnostics on stderr");
  app.add_option("--log-format", global.log_format, "Diagnostics as text lines or JSON objects")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--no-color", global.no_color, "No colour (also: NO_COLOR=1)");
  app.add_flag("--progress", global.progress, "Show progress even without a terminal");
  app.add_option("--database-url", global.database_url, "PostgreSQL URL (overrides database.url)");
  app.add_option("--redis-url", global.redis_url, "Redis URL (overrides redis.url)");
  return output;
}

void register_introspection(CLI::App& app, Selected& selected) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->footer("EXAMPLES:\n  source <(golfops completion bash)\n"
                     "  golfops completion fish > ~/.config/fish/completions/golfops.fish");
  completion->callback([&app, &selected, shell] {
    selected.needs_config = false;
    selected.run = [&app, shell](Invocation&) {
      core::output::Report report;
      report.text = completion_script(app, *shell);
      return Outcome{report};
    };
  });
  // Every option that takes a value, per command ("migrate up\t--to"): the
  // malformed-input test feeds each one a bad value. Not shown in help.
  auto* flags = app.add_subcommand("__flags", "List value-taking options")->group("");
  flags->callback([&app, &selected] {
    selected.needs_config = false;
    selected.run = [&app](Invocation&) {
      std::string out;
      std::function<void(const CLI::App*, const std::string&)> walk = [&](const CLI::App* command,
                                                                          const std::string& path) {
        for (const auto* option : command->get_options()) {
          if (option->get_expected_min() < 1 || option->get_group().empty()) {
            continue;
          }
          auto names = option->get_lnames();
          auto name = names.empty() ? option->get_name() : "--" + names.front();
          out += fmt::format("{}\t{}\n", path, name);
        }
        for (const auto* sub : command->get_subcommands(
                 [](const CLI::App* candidate) { return !candidate->get_group().empty(); })) {
          walk(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name());
        }
      };
      walk(&app, "");
      core::output::Report report;
      report.text = out;
      return Outcome{report};
    };
  });
  // Writes man/ and completions/ under DIR: the build's copy that is
  // installed, and (the regenerate target) the repository's committed one.
  // Not shown in help.
  auto top = std::make_shared<std::string>();
  auto* generate =
      app.add_subcommand("__generate", "Write the man pages and completions")->group("");
  generate->add_option("dir", *top, "the directory to write man/ and completions/ under")
      ->required();
  generate->callback([&app, &selected, top] {
    selected.needs_config = false;
    selected.run = [&app, top](Invocation&) {
      for (const auto& file : generated_files(app, build_info::k_version)) {
        auto path = std::filesystem::path(*top) / file.path;
        std::filesystem::create_directories(path.parent_path());
        core::atomic_write(path, file.content, 0644);
      }
      return Outcome{core::output::Report{}};
    };
  });
}

void add_exit_status_footers(CLI::App* app) {
  auto footer = app->get_footer();
  app->footer(footer.empty() ? k_exit_status_help : footer + "\n\n" + k_exit_status_help);
  for (auto* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    add_exit_status_footers(sub);
  }
}

// Whether `name` is an option that takes a value, of golfops or of any of
// its commands.
bool takes_value(CLI::App& app, const std::string& name) {
  if (const auto* option = app.get_option_no_throw(name);
      option != nullptr && option->get_expected_min() > 0) {
    return true;
  }
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (takes_value(*sub, name)) {
      return true;
    }
  }
  return false;
}

// The first word that is neither an option nor a known command, with
// "did you mean 'migrate'?" when one is close (ninja does the same).
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> known;
  std::function<void(CLI::App*)> collect = [&](CLI::App* command) {
    for (auto* sub : command->get_subcommands([](CLI::App*) { return true; })) {
      if (!sub->get_group().empty()) {
        known.push_back(sub->get_name());
      }
      collect(sub);
    }
  };
  collect(&app);
  std::vector<std::string_view> names(known.begin(), known.end());
  for (int index = 1; index < argc; ++index) {
    std::string_view word = argv[index];
    if (word.starts_with("-") || std::find(known.begin(), known.end(), word) != known.end()) {
      continue;
    }
    if (index > 1 && takes_value(app, argv[index - 1])) {
      continue; // the value of an option: --env staging, verify --base-url URL
    }
    auto closest = core::closest_match(word, names);
    return fmt::format("unknown command '{}'{}",
                       word,
                       closest.empty() ? "" : fmt::format(" (did you mean '{}'?)", closest));
  }
  return std::nullopt;
}

// One diagnostic for the error, in the log format in force: a JSON record
// carries the whole message and the error's structured fields.
void report_error(const core::Error& error, core::output::LogFormat format, bool color) {
  core::output::Logger logger(std::cerr, format, core::output::Verbosity::normal, color);
  auto fields = error.fields;
  if (error.failure() != core::Failure::none) {
    fields.emplace("failure", std::string(core::to_string(error.failure())));
  }
  fields.emplace("exit_code", std::to_string(static_cast<int>(error.code())));
  logger.log(core::output::Level::error, error.what(), fields);
}

// The command path the user chose: "migrate status".
std::string chosen_command(const CLI::App& app) {
  std::vector<std::string> names;
  const CLI::App* command = &app;
  while (!command->get_subcommands().empty()) {
    command = command->get_subcommands().front();
    names.push_back(command->get_name());
  }
  return core::join(names, " ");
}

// -o must name a format the chosen command renders.
void require_format(const CLI::App& app, const GlobalOptions& global, const Selected& selected) {
  std::vector<std::string> offered{"table", "json"};
  offered.insert(offered.end(), selected.formats.begin(), selected.formats.end());
  if (std::find(offered.begin(), offered.end(), global.output) == offered.end()) {
    throw core::Error(core::ExitCode::usage,
                      fmt::format("-o/--output: invalid format '{}' ('golfops {}' offers {})",
                                  global.output,
                                  chosen_command(app),
                                  core::join(offered, ", ")));
  }
}

core::output::LogFormat log_format_named(std::string_view name, core::output::LogFormat otherwise) {
  if (name == "json") {
    return core::output::LogFormat::json;
  }
  return name == "text" ? core::output::LogFormat::text : otherwise;
}

bool color_wanted(int fd, const GlobalOptions& global) {
  const char* no_color = std::getenv("NO_COLOR");
  return !global.no_color && (no_color == nullptr || *no_color == '\0') && ::isatty(fd) == 1;
}

core::config::Config load_config(const GlobalOptions& global, const Selected& selected) {
  core::config::LoadOptions options;
  if (!global.config_file.empty()) {
    options.config_file = global.config_file;
  }
  options.profile = global.profile;
  options.environment = core::config::current_environment();
  options.working_directory = std::filesystem::current_path();
  options.flags = selected.config_flags;
  if (!global.database_url.empty()) {
    options.flags["database.url"] = {global.database_url, "--database-url"};
  }
  if (!global.redis_url.empty()) {
    options.flags["redis.url"] = {global.redis_url, "--redis-url"};
  }
  if (!global.log_format.empty()) {
    options.flags["log.format"] = {global.log_format, "--log-format"};
  }
  auto config = core::config::load(options);
  if (!selected.reports_config_problems) {
    config.require_valid();
  }
  return config;
}

// Reports `error` on stderr (or by a family's own convention, such as
// Nagios' UNKNOWN line) and returns the exit status.
int report_failure(const core::Error& error,
                   const std::vector<std::string>& words,
                   const Selected& selected,
                   core::output::LogFormat log_format,
                   bool color) {
  // A signal keeps its 130/143 whatever a family's convention says.
  bool cancelled = dynamic_cast<const core::Cancelled*>(&error) != nullptr;
  for (const auto& convention : selected.error_exits) {
    if (cancelled || !convention.applies(words)) {
      continue;
    }
    auto status = convention.report(error, words, std::cout);
    std::cout.flush();
    if (status) {
      return *status;
    }
  }
  report_error(error, log_format, color);
  return static_cast<int>(error.code());
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app("operations for a PostgreSQL + Redis web service: migrate, backup, limits, "
               "health, load, verify",
               "golfops");
  app.require_subcommand(1);
  app.fallthrough();
  // The one-line answer scripts expect; `golfops version` lists the libraries too.
  app.set_version_flag("--version",
                       fmt::format("golfops {} ({})", build_info::k_version, build_info::k_commit),
                       "Print the golfops version and exit");
  core::install_signal_handlers();
  GlobalOptions global;
  Selected selected;
  std::vector<std::string> words;
  for (int index = 0; index < argc; ++index) {
    words.emplace_back(argv[index] != nullptr ? argv[index] : "");
  }
  // Values of options that carry a secret are redacted from every message,
  // even one about a command that does not take the option.
  for (std::size_t index = 1; index < words.size(); ++index) {
    constexpr std::string_view k_secret_option = "--api-key";
    const auto& word = words[index];
    if (word == k_secret_option && index + 1 < words.size()) {
      core::register_secret(words[index + 1]);
    } else if (word.starts_with(std::string(k_secret_option) + "=")) {
      core::register_secret(std::string_view(word).substr(k_secret_option.size() + 1));
    }
  }
  auto* output_option = add_global_options(app, global);
  register_commands(app, selected);
  register_introspection(app, selected);
  add_exit_status_footers(&app);

  bool stderr_color = color_wanted(STDERR_FILENO, global);
  // Errors use the log format chosen so far: environment, then flag, then config.
  const char* format_variable = std::getenv("GOLFOPS_LOG_FORMAT");
  auto log_format = log_format_named(format_variable != nullptr ? format_variable : "",
                                     core::output::LogFormat::text);
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
      return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
      return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
      return app.exit(version);
    } catch (const CLI::ParseError& error) {
      std::string message = error.what();
      bool about_commands = dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr ||
                            message.find("subcommand is required") != std::string::npos;
      if (auto unknown = about_commands ? unknown_command(app, argc, argv) : std::nullopt) {
        message = *unknown;
      }
      throw core::Error(core::ExitCode::usage, message + "; see 'golfops --help'");
    }
    stderr_color = color_wanted(STDERR_FILENO, global);
    log_format = log_format_named(global.log_format, log_format);
    require_format(app, global, selected);

    auto verbosity = global.verbose ? core::output::Verbosity::verbose
                     : global.quiet ? core::output::Verbosity::quiet
                                    : core::output::Verbosity::normal;
    const auto& format = global.output;
    // --quiet: a successful run prints nothing (cron) unless a format was asked for.
    bool format_asked = output_option->count() > 0;
    std::optional<core::config::Config> config;
    if (selected.needs_config) {
      config = load_config(global, selected);
    } else {
      config.emplace();
    }
    log_format = log_format_named(config->text("log.format"), log_format);
    core::output::Logger logger(std::cerr, log_format, verbosity, stderr_color);
    auto progress_mode = global.quiet                   ? core::output::ProgressMode::silent
                         : ::isatty(STDERR_FILENO) == 1 ? core::output::ProgressMode::terminal
                         : global.progress              ? core::output::ProgressMode::lines
                                                        : core::output::ProgressMode::silent;
    auto progress = core::output::make_progress(progress_mode, std::cerr);
    core::output::Confirm confirm(std::cin, std::cerr, ::isatty(STDIN_FILENO) == 1);
    core::Context context{*config, logger, *progress, confirm, core::Cancellation::process()};
    bool terminal = ::isatty(STDOUT_FILENO) == 1;
    Invocation invocation{context, format, [&](const core::output::Report& report) {
                            // On a terminal, redraw in place: home, clear screen.
                            std::cout << (terminal ? "\033[H\033[2J" : "")
                                      << core::redact(core::output::render(
                                             report, format, color_wanted(STDOUT_FILENO, global)))
                                      << std::flush;
                          }};
    auto outcome = selected.run(invocation);
    progress->finish();
    int status = outcome.exit_status.value_or(static_cast<int>(outcome.exit_code));
    bool quiet = global.quiet || (selected.silent_unless_terminal && !terminal && !global.verbose);
    if (!(quiet && status == 0 && !format_asked && !outcome.report.text)) {
      std::cout << core::redact(
          core::output::render(outcome.report, format, color_wanted(STDOUT_FILENO, global)));
      std::cout.flush();
    }
    if (!outcome.errors.empty()) {
      logger.log(
          core::output::Level::error, core::join(outcome.errors, "\n"), outcome.error_fields);
    }
    return status;
  } catch (const core::Error& error) {
    return report_failure(
        error, words, selected, log_format_named(global.log_format, log_format), stderr_color);
  } catch (const std::filesystem::filesystem_error& error) {
    // A path golfops could not use: name it and why, not a library's prose.
    auto path = error.path1().empty() ? std::string() : error.path1().string() + ": ";
    return report_failure(
        core::Error(core::ExitCode::failed, fmt::format("{}{}", path, error.code().message())),
        words,
        selected,
        log_format_named(global.log_format, log_format),
        stderr_color);
  } catch (const std::exception& error) {
    return report_failure(
        core::Error(core::ExitCode::failed, fmt::format("internal error: {}", error.what())),
        words,
        selected,
        log_format_named(global.log_format, log_format),
        stderr_color);
  }
}

} // namespace golfops::cli
