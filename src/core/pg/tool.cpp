#include "core/pg/tool.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/pg/client.hpp"
#include "core/proc.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <map>
#include <memory>

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

} // namespace

ToolAccess::ToolAccess(const Client& client,
                       std::string_view application,
                       std::string_view dbname) {
  auto used = client.effective_conninfo();
  auto defaults = compiled_defaults();
  auto& shown = m_shown;
  std::string password;
  for (const auto& [keyword, value] : used.parameters) {
    if (keyword == "password") {
      password = value;
    } else if (keyword != "sslpassword" && keyword != "passfile" && keyword != "application_name" &&
               keyword != "fallback_application_name") {
      shown.set(keyword, value);
    }
  }
  shown.set("application_name", std::string(application));
  if (!dbname.empty()) {
    shown.set("dbname", std::string(dbname));
  }
  if (password.empty()) {
    return;
  }
  const char* temporary = std::getenv("TMPDIR");
  auto pattern =
      (std::filesystem::path(temporary != nullptr && *temporary != '\0' ? temporary : "/tmp") /
       "golfops-pg.XXXXXX")
          .string();
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
