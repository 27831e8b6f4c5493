#pragma once

#include "core/pg/conninfo.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::pg {

class Client;

// How a libpq program golfops runs as a child (pg_dump, pg_restore) reaches
// the server exactly as golfops' own connection did: the parameters libpq
// actually used (PG* variables and defaults included), as a connection
// string without the password, safe for argv; the password in a passfile
// (0600, in a 0700 directory of its own) that exists while this object
// does and is named by PGPASSFILE in the child's environment.
class ToolAccess {
public:
  // `application` names the child in pg_stat_activity ("golfops backup");
  // `dbname` empty: the database `client` is connected to.
  ToolAccess(const Client& client, std::string_view application, std::string_view dbname = {});
  ~ToolAccess();
  ToolAccess(const ToolAccess&) = delete;
  ToolAccess& operator=(const ToolAccess&) = delete;

  // "host=... port=... user=... dbname=...": for --dbname.
  std::string conninfo() const { return m_shown.to_string(); }
  // Adds server settings for the child's sessions ("-c maintenance_work_mem=1GB").
  void add_server_options(std::string_view options);
  // base_environment() plus PGPASSFILE when there is a password.
  std::vector<std::string> environment() const;

private:
  Conninfo m_shown;
  std::filesystem::path m_directory;
  std::filesystem::path m_passfile;
};

} // namespace golfops::core::pg
