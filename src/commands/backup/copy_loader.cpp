#include "commands/backup/copy_loader.hpp"

#include "core/cancel.hpp"
#include "core/strings.hpp"

#include <chrono>
#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

// Big enough that the per-batch cost (a queue hand-off, at worst a COPY
// started on another session) vanishes, small enough that two sessions
// share even a table of a few tens of MiB.
constexpr std::size_t k_batch_bytes = 4 << 20;

} // namespace

ParallelCopy::ParallelCopy(core::pg::Settings target,
                           int connections,
                           std::vector<Table> tables,
                           std::string session_sql)
    : m_target(std::move(target)), m_tables(std::move(tables)),
      m_session_sql(std::move(session_sql)), m_capacity(2 * static_cast<std::size_t>(connections)),
      m_sessions_wanted(static_cast<std::size_t>(connections)), m_rows(m_tables.size(), 0) {
  try {
    for (int session = 0; session < connections; ++session) {
      m_sessions.emplace_back([this] { run_session(); });
    }
  } catch (...) {
    // Threads already started must be joined, or their destructors
    // terminate the process.
    fail(std::current_exception());
    stop();
    throw;
  }
}

ParallelCopy::~ParallelCopy() {
  {
    std::lock_guard lock(m_mutex);
    m_aborted = true;
  }
  stop();
}

void ParallelCopy::stop() {
  m_changed.notify_all();
  for (auto& session : m_sessions) {
    if (session.joinable()) {
      session.join();
    }
  }
}

void ParallelCopy::fail(std::exception_ptr failure) {
  std::lock_guard lock(m_mutex);
  if (!m_failure) {
    m_failure = std::move(failure);
  }
  m_aborted = true;
  m_changed.notify_all();
}

void ParallelCopy::rethrow_failure() {
  std::lock_guard lock(m_mutex);
  if (m_failure) {
    std::rethrow_exception(m_failure);
  }
}

void ParallelCopy::add(std::size_t table, std::string_view rows) {
  if (table != m_pending_table && !m_pending.empty()) {
    end_table(m_pending_table);
  }
  m_pending_table = table;
  m_pending.append(rows);
  if (m_pending.size() < k_batch_bytes) {
    return;
  }
  auto line_end = m_pending.rfind('\n');
  if (line_end == std::string::npos) {
    return; // one row longer than a batch: it goes out whole
  }
  auto rest = m_pending.substr(line_end + 1);
  m_pending.resize(line_end + 1);
  dispatch(table, std::exchange(m_pending, std::move(rest)));
}

void ParallelCopy::end_table(std::size_t table) {
  if (!m_pending.empty()) {
    dispatch(table, std::exchange(m_pending, std::string()));
  }
}

void ParallelCopy::dispatch(std::size_t table, std::string rows) {
  std::unique_lock lock(m_mutex);
  // Bounded: reading the archive waits for the sessions, so memory stays
  // at a few batches per session whatever the table's size.
  while (m_queue.size() >= m_capacity && !m_aborted) {
    m_changed.wait_for(lock, std::chrono::milliseconds(100));
    lock.unlock();
    core::Cancellation::process().check();
    lock.lock();
  }
  if (m_failure) {
    std::rethrow_exception(m_failure);
  }
  m_queue.push_back({table, std::move(rows)});
  m_changed.notify_all();
}

std::optional<ParallelCopy::Batch> ParallelCopy::next_batch() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [this] { return m_aborted || m_closed || !m_queue.empty(); });
  if (m_aborted || m_queue.empty()) {
    return std::nullopt;
  }
  auto batch = std::move(m_queue.front());
  m_queue.pop_front();
  m_changed.notify_all();
  return batch;
}

void ParallelCopy::run_session() {
  std::optional<std::size_t> copying;
  try {
    core::pg::Client client(m_target);
    client.execute(m_session_sql);
    {
      // Every session connected before the first batch: a refused
      // connection fails the load before any rows go in, and the batches
      // are shared from the start.
      std::unique_lock lock(m_mutex);
      ++m_connected;
      m_changed.notify_all();
      m_changed.wait(lock, [this] { return m_aborted || m_connected == m_sessions_wanted; });
    }
    auto end_copy = [&] {
      auto stored = client.copy_end();
      std::lock_guard lock(m_mutex);
      m_rows[*copying] += stored;
    };
    while (auto batch = next_batch()) {
      if (copying != batch->table) {
        if (copying) {
          end_copy();
        }
        copying = batch->table;
        client.copy_begin(m_tables[batch->table].statement);
      }
      client.copy_send(batch->rows);
    }
    std::unique_lock lock(m_mutex);
    bool aborted = m_aborted;
    lock.unlock();
    if (copying && !aborted) {
      end_copy();
    }
  } catch (const core::pg::QueryError& refused) {
    // Which table and which row: the server's CONTEXT has "COPY t, line N".
    std::string where;
    for (const auto& line : core::split(refused.context, '\n')) {
      if (line.starts_with("COPY ")) {
        where = "; " + line;
      }
    }
    auto table = copying ? m_tables[*copying].name : std::string("a table");
    fail(std::make_exception_ptr(core::Error(
        core::ExitCode::failed, fmt::format("loading {}: {}{}", table, refused.what(), where))));
  } catch (...) {
    fail(std::current_exception());
  }
}

std::vector<std::uint64_t> ParallelCopy::finish() {
  end_table(m_pending_table);
  {
    std::lock_guard lock(m_mutex);
    m_closed = true;
  }
  stop();
  rethrow_failure();
  return m_rows;
}

} // namespace golfops::commands::backup
