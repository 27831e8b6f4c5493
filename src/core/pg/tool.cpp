#include "core/pg/tool.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/client.hpp"
#include "core/proc.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace golfops::core::pg {
namespace {

// .pgpass fields escape ':' and '\'.
std::string passfile_field(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == ':' || c == '\\') {
      escaped += '\\';
    }
    escaped += c;
  }
  return escaped;
}

// libpq's compiled-in defaults (not the PG* variables): a parameter equal to
// one adds nothing to the child's argv.
std::map<std::string, std::string> compiled_defaults() {
  std::map<std::string, std::string> defaults;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconndefaults(),
                                                                       &PQconninfoFree);
  for (auto* option = options.get(); option != nullptr && option->keyword != nullptr; ++option) {
    if (option->compiled != nullptr) {
      defaults[option->keyword] = option->compiled;
    }
  }
  return defaults;
}

constexpr std::string_view k_directory_prefix = "golfops-pg.";

// Passfile directories of golfops processes that were killed (kill -9)
// before they could remove them: "golfops-pg.<pid>.XXXXXX", owned by this
// user, whose pid is gone.
void remove_abandoned_passfiles(const std::filesystem::path& parent) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
    auto name = entry.path().filename().string();
    if (!name.starts_with(k_directory_prefix)) {
      continue;
    }
    auto pid = std::atoi(name.c_str() + k_directory_prefix.size());
    struct stat owner {};
    if (pid <= 0 || ::lstat(entry.path().c_str(), &owner) != 0 || owner.st_uid != ::getuid() ||
        !S_ISDIR(owner.st_mode) || ::kill(pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    std::filesystem::remove_all(entry.path(), error);
  }
}

} // namespace

ToolAccess::ToolAccess(const Client& client,
                       std::string_view application,
                       std::string_view dbname) {
  auto used = client.effective_conninfo();
  auto defaults = compiled_defaults();
  auto& shown = m_shown;
  std::string password;
  std::string passfile;
  for (const auto& [keyword, value] : used.parameters) {
    if (keyword == "password") {
      password = value;
    } else if (keyword == "passfile") {
      passfile = value; // a path, not a secret: the child reads the same file
    } else if (keyword != "sslpassword" && keyword != "application_name" &&
               keyword != "fallback_application_name" &&
               !(defaults.contains(keyword) && defaults[keyword] == value)) {
      shown.set(keyword, value);
    }
  }
  shown.set("application_name", std::string(application));
  if (!dbname.empty()) {
    shown.set("dbname", std::string(dbname));
  }
  if (password.empty()) {
    if (!passfile.empty()) {
      shown.set("passfile", passfile);
    }
    return;
  }
  const char* temporary = std::getenv("TMPDIR");
  auto parent =
      std::filesystem::path(temporary != nullptr && *temporary != '\0' ? temporary : "/tmp");
  remove_abandoned_passfiles(parent);
  auto pattern = (parent / fmt::format("{}{}.XXXXXX", k_directory_prefix, ::getpid())).string();
  if (::mkdtemp(pattern.data()) == nullptr) { // 0700
    throw_failed(fmt::format("cannot create a private directory for the PostgreSQL passfile in "
                             "{}: {}",
                             std::filesystem::path(pattern).parent_path().string(),
                             std::strerror(errno)));
  }
  m_directory = pattern;
  m_passfile = m_directory / "pgpass";
  // Any host, port, database and user: the child connects where golfops did.
  atomic_write(m_passfile, "*:*:*:*:" + passfile_field(password) + "\n", 0600);
}

void ToolAccess::add_server_options(std::string_view options) {
  auto current = m_shown.get("options").value_or("");
  m_shown.set("options",
              current.empty() ? std::string(options) : current + " " + std::string(options));
}

ToolAccess::~ToolAccess() {
  if (!m_directory.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(m_directory, ignored);
  }
}

std::vector<std::string> ToolAccess::environment() const {
  auto environment = base_environment();
  if (!m_passfile.empty()) {
    environment.push_back("PGPASSFILE=" + m_passfile.string());
  }
  return environment;
}

} // namespace golfops::core::pg
