#include "commands/migrate/foreign.hpp"

#include <fmt/format.h>

namespace golfops::commands::migrate {

bool ForeignState::is_applied(const Version& version) const {
  return (up_to && !(*up_to < version)) || applied.contains(version);
}

std::optional<ForeignState> read_foreign_state(core::pg::Client& client,
                                               const std::string& schema,
                                               const std::string& own_table) {
  // Which of the known tables exist, and how schema_migrations is shaped.
  auto tables = client.execute(
      "SELECT c.table_name, string_agg(c.column_name || ':' || c.data_type, ',' ORDER BY "
      "c.column_name) FROM information_schema.columns c WHERE c.table_schema = $1 AND "
      "c.table_name IN ('schema_migrations', 'flyway_schema_history') GROUP BY c.table_name",
      {schema});
  for (std::size_t row = 0; row < tables.rows(); ++row) {
    auto name = tables.text(row, 0);
    auto columns = tables.text(row, 1);
    if (name == own_table) {
      continue;
    }
    auto qualified = client.quote_identifier(schema) + "." + client.quote_identifier(name);
    ForeignState state;
    state.table = schema + "." + name;
    if (name == "flyway_schema_history") {
      state.tool = "Flyway";
      auto rows = client.execute(fmt::format(
          "SELECT version, success FROM {} WHERE version IS NOT NULL ORDER BY installed_rank",
          qualified));
      for (std::size_t index = 0; index < rows.rows(); ++index) {
        auto version = parse_version(rows.text(index, 0));
        if (rows.text(index, 1) != "t") {
          state.unfinished =
              fmt::format("version {} failed (success = false)", rows.text(index, 0));
        } else if (version) {
          state.applied.insert(*version);
        }
      }
    } else if (columns.find("dirty:boolean") != std::string::npos) {
      state.tool = "golang-migrate";
      auto rows = client.execute(fmt::format("SELECT version, dirty FROM {} LIMIT 1", qualified));
      if (rows.rows() > 0) {
        state.up_to = parse_version(rows.text(0, 0));
        if (rows.text(0, 1) == "t") {
          state.unfinished = fmt::format("dirty at version {}", rows.text(0, 0));
        }
      }
    } else {
      state.tool = "dbmate";
      auto rows = client.execute(fmt::format("SELECT version FROM {}", qualified));
      for (std::size_t index = 0; index < rows.rows(); ++index) {
        if (auto version = parse_version(rows.text(index, 0))) {
          state.applied.insert(*version);
        }
      }
    }
    if (!state.empty()) {
      return state;
    }
  }
  return std::nullopt;
}

} // namespace golfops::commands::migrate
