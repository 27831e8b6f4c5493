#pragma once

#include "core/pg/client.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace golfops::commands::backup {

// Loads tables' COPY text into PostgreSQL over `connections` sessions at
// once. Rows arrive in archive order, table after table; they are cut into
// batches at line ends and each batch goes to the next free session, so
// one big table is split across every session (a custom archive gives
// pg_restore -j one worker per table, which leaves all but one idle when
// one table holds the data). Each session runs `COPY ... FROM STDIN` for
// the table of the batch it holds, and the server's own count of stored
// rows comes back per table.
class ParallelCopy {
public:
  struct Table {
    std::string name;      // "public.items", for errors
    std::string statement; // "COPY public.items (id, name) FROM stdin;"
  };
  // `session_sql` runs first on every session (encoding,
  // standard_conforming_strings).
  ParallelCopy(core::pg::Settings target,
               int connections,
               std::vector<Table> tables,
               std::string session_sql);
  // Without finish() (an error, SIGINT) every open COPY is abandoned: the
  // server discards it with the session.
  ~ParallelCopy();
  ParallelCopy(const ParallelCopy&) = delete;
  ParallelCopy& operator=(const ParallelCopy&) = delete;

  // A piece of table `table`'s COPY text (it may end mid-line). Blocks
  // while every session is busy. Rethrows a session's failure.
  void add(std::size_t table, std::string_view rows);
  void end_table(std::size_t table);
  // Ends every COPY; the rows stored per table (index as in the
  // constructor). Rethrows the first failure (a refused row, a lost
  // connection, Cancelled).
  std::vector<std::uint64_t> finish();

private:
  struct Batch {
    std::size_t table;
    std::string rows;
  };
  void dispatch(std::size_t table, std::string rows);
  std::optional<Batch> next_batch();
  void run_session();
  void fail(std::exception_ptr failure);
  void rethrow_failure();
  void stop();

  core::pg::Settings m_target;
  std::vector<Table> m_tables;
  std::string m_session_sql;
  std::string m_pending; // the current table's rows not yet batched
  std::size_t m_pending_table = 0;

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<Batch> m_queue;
  std::size_t m_capacity;
  std::size_t m_sessions_wanted;
  std::size_t m_connected = 0;
  bool m_closed = false;  // no more batches: sessions end their COPY
  bool m_aborted = false; // sessions leave without ending it
  std::exception_ptr m_failure;
  std::vector<std::uint64_t> m_rows;
  std::vector<std::thread> m_sessions;
};

} // namespace golfops::commands::backup
