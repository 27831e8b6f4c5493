#include "commands/backup/archive_scan.hpp"

#include <cstring>
#include <fmt/format.h>

namespace golfops::commands::backup {
namespace {

// pg_backup_archiver.h: archive versions as major.minor.revision.
constexpr int version(int major, int minor, int revision = 0) {
  return major * 10000 + minor * 100 + revision;
}
// Read here: PostgreSQL 12-16's pg_dump (1.14 and 1.15 since 12; older ones
// differ in the TOC layout).
constexpr int k_oldest = version(1, 14);
constexpr int k_newest = version(1, 15);
constexpr std::uint8_t k_block_data = 1;
constexpr std::uint8_t k_block_blobs = 3;
constexpr std::uint8_t k_format_custom = 1;

} // namespace

void ArchiveScanner::fail(std::string why) {
  if (m_state != State::failed) {
    m_summary.problem = std::move(why);
    m_state = State::failed;
  }
  m_pending.clear();
  m_at = 0;
}

bool ArchiveScanner::read_byte(std::uint8_t& value) {
  if (m_at + 1 > m_pending.size()) {
    return false;
  }
  value = static_cast<std::uint8_t>(m_pending[m_at++]);
  return true;
}

// WriteInt: a sign byte, then int_size bytes, least significant first.
bool ArchiveScanner::read_int(std::int64_t& value) {
  auto size = static_cast<std::size_t>(m_int_size);
  if (m_at + 1 + size > m_pending.size()) {
    return false;
  }
  bool negative = m_pending[m_at] != 0;
  std::uint64_t magnitude = 0;
  for (std::size_t byte = 0; byte < size; ++byte) {
    magnitude |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(m_pending[m_at + 1 + byte]))
                 << (8 * byte);
  }
  m_at += 1 + size;
  value = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

// WriteStr: a length (-1 for NULL), then the bytes.
bool ArchiveScanner::read_string(std::optional<std::string>& value) {
  auto start = m_at;
  std::int64_t length = 0;
  if (!read_int(length)) {
    return false;
  }
  if (length < 0) {
    value.reset();
    return true;
  }
  if (m_at + static_cast<std::size_t>(length) > m_pending.size()) {
    m_at = start;
    return false;
  }
  value = m_pending.substr(m_at, static_cast<std::size_t>(length));
  m_at += static_cast<std::size_t>(length);
  return true;
}

bool ArchiveScanner::skip(std::size_t bytes) {
  if (m_at + bytes > m_pending.size()) {
    return false;
  }
  m_at += bytes;
  return true;
}

// COPY text: one row per line; a line "\." ends the data (pg_dump writes it
// with the rows). Escaped newlines inside values are "\n", never a byte 10.
void ArchiveScanner::count_rows(std::string_view data) {
  if (!m_current || m_copy_ended) {
    return;
  }
  // A listener gets the rows through the "\." line and nothing after it
  // (pg_dump follows it with blank lines, which a COPY would read as rows).
  auto forward = [&, whole = data](std::size_t through) {
    if (m_listener && m_listener->on_rows && through > 0) {
      m_listener->on_rows(*m_current, whole.substr(0, through));
    }
  };
  auto& table = m_summary.tables[*m_current];
  std::size_t consumed = 0;
  while (!data.empty()) {
    const auto* newline = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
    auto line_part =
        newline == nullptr ? data.size() : static_cast<std::size_t>(newline - data.data());
    for (std::size_t index = 0; index < line_part && m_line_length + index < 2; ++index) {
      m_line_start[m_line_length + index] = data[index];
    }
    m_line_length += line_part;
    if (newline == nullptr) {
      break;
    }
    consumed += line_part + 1;
    m_copy_ended = m_line_length == 2 && m_line_start[0] == '\\' && m_line_start[1] == '.';
    m_line_length = 0;
    data.remove_prefix(line_part + 1);
    if (m_copy_ended) {
      forward(consumed);
      return;
    }
    ++table.rows;
  }
  forward(consumed + data.size());
}

// Parses one unit (the header, a TOC entry, a block or chunk header) from
// m_pending, or streams chunk data; false when more input is needed.
bool ArchiveScanner::step() {
  auto start = m_at;
  auto need_more = [&] {
    m_at = start;
    return false;
  };
  switch (m_state) {
  case State::header: {
    if (m_pending.size() < 11) {
      return false;
    }
    if (m_pending.compare(0, 5, "PGDMP") != 0) {
      fail("not a pg_dump archive (no PGDMP header)");
      return false;
    }
    auto byte = [&](std::size_t at) { return static_cast<std::uint8_t>(m_pending[at]); };
    m_version = version(byte(5), byte(6), byte(7));
    m_summary.archive_version = fmt::format("{}.{}", byte(5), byte(6));
    m_int_size = byte(8);
    m_offset_size = byte(9);
    if (m_version < k_oldest || m_version > k_newest) {
      fail(fmt::format("archive version {} is not one golfops reads (1.14, 1.15)",
                       m_summary.archive_version));
      return false;
    }
    if (byte(10) != k_format_custom || m_int_size < 1 || m_int_size > 8 || m_offset_size > 16) {
      fail("not a custom-format archive");
      return false;
    }
    m_at = 11;
    std::int64_t compression = 0;
    if (m_version >= version(1, 15)) {
      std::uint8_t algorithm = 0;
      if (!read_byte(algorithm)) {
        return need_more();
      }
      compression = algorithm;
    } else if (!read_int(compression)) {
      return need_more();
    }
    std::int64_t ignored = 0;
    for (int field = 0; field < 7;
         ++field) { // creation time: sec, min, hour, day, month, year, dst
      if (!read_int(ignored)) {
        return need_more();
      }
    }
    std::optional<std::string> database, server, dumper;
    std::int64_t entries = 0;
    if (!read_string(database) || !read_string(server) || !read_string(dumper) ||
        !read_int(entries)) {
      return need_more();
    }
    if (compression != 0) {
      fail("the archive's data is compressed by pg_dump (golfops writes -Z0 and compresses "
           "itself)");
      return false;
    }
    m_summary.database = database.value_or("");
    m_summary.server_version = server.value_or("");
    m_summary.pg_dump_version = dumper.value_or("");
    m_entries_left = entries;
    m_state = entries > 0 ? State::toc : State::block;
    if (entries <= 0) {
      toc_read();
    }
    return true;
  }
  case State::toc: {
    std::int64_t dump_id = 0, had_dumper = 0, section = 0;
    std::optional<std::string> table_oid, oid, tag, desc, defn, drop, copy, schema, tablespace,
        access_method, owner, with_oids, dependency;
    if (!read_int(dump_id) || !read_int(had_dumper) || !read_string(table_oid) ||
        !read_string(oid) || !read_string(tag) || !read_string(desc) || !read_int(section) ||
        !read_string(defn) || !read_string(drop) || !read_string(copy) || !read_string(schema) ||
        !read_string(tablespace) || !read_string(access_method) || !read_string(owner) ||
        !read_string(with_oids)) {
      return need_more();
    }
    do {
      if (!read_string(dependency)) {
        return need_more();
      }
    } while (dependency);
    if (!skip(1 + static_cast<std::size_t>(m_offset_size))) { // data offset: flag + position
      return need_more();
    }
    ++m_summary.toc_entries;
    if (desc == "TABLE DATA" && had_dumper != 0) {
      m_table_of_dump[dump_id] = m_summary.tables.size();
      m_summary.tables.push_back(
          {schema.value_or(""), tag.value_or(""), 0, false, copy.value_or("")});
    } else if (had_dumper != 0) {
      m_summary.other_data = true;
    }
    if (desc == "ENCODING" || desc == "STDSTRINGS" || desc == "SEARCHPATH") {
      m_summary.session_sql += defn.value_or("");
    }
    if (--m_entries_left == 0) {
      m_state = State::block;
      toc_read();
    }
    return true;
  }
  case State::block: {
    std::uint8_t type = 0;
    std::int64_t dump_id = 0;
    if (!read_byte(type) || !read_int(dump_id)) {
      return need_more();
    }
    if (type != k_block_data && type != k_block_blobs) {
      fail(fmt::format("unknown data block type {}", type));
      return false;
    }
    m_in_blobs = type == k_block_blobs;
    m_current.reset();
    if (auto table = m_table_of_dump.find(dump_id); !m_in_blobs && table != m_table_of_dump.end()) {
      m_current = table->second;
    }
    m_line_length = 0;
    m_copy_ended = false;
    m_state = m_in_blobs ? State::blob_oid : State::chunk_length;
    return true;
  }
  case State::blob_oid: {
    std::int64_t blob = 0;
    if (!read_int(blob)) {
      return need_more();
    }
    m_state = blob == 0 ? State::block : State::chunk_length;
    return true;
  }
  case State::chunk_length: {
    std::int64_t length = 0;
    if (!read_int(length)) {
      return need_more();
    }
    if (length < 0) {
      fail("a negative data chunk length");
      return false;
    }
    if (length == 0) {
      if (m_current) {
        m_summary.tables[*m_current].data_seen = true;
        if (m_listener && m_listener->on_table_end) {
          m_listener->on_table_end(*m_current);
        }
      }
      m_current.reset();
      m_state = m_in_blobs ? State::blob_oid : State::block;
      return true;
    }
    m_chunk_left = static_cast<std::uint64_t>(length);
    m_state = State::chunk_data;
    return true;
  }
  case State::chunk_data: {
    auto available = std::min<std::uint64_t>(m_chunk_left, m_pending.size() - m_at);
    if (available == 0) {
      return false;
    }
    count_rows(std::string_view(m_pending).substr(m_at, available));
    m_at += available;
    m_chunk_left -= available;
    if (m_chunk_left == 0) {
      m_state = State::chunk_length;
    }
    return true;
  }
  case State::failed:
    return false;
  }
  return false;
}

void ArchiveScanner::listen(Listener listener) {
  m_listener = std::move(listener);
}

// The header and TOC are the bytes consumed so far: what was kept, less
// what is still pending after the TOC's end.
void ArchiveScanner::toc_read() {
  m_toc_done = true;
  if (m_listener && m_listener->on_toc) {
    auto unread = m_pending.size() - m_at;
    m_listener->on_toc(m_summary,
                       std::string_view(m_toc_bytes).substr(0, m_toc_bytes.size() - unread));
  }
  m_toc_bytes.clear();
  m_toc_bytes.shrink_to_fit();
}

void ArchiveScanner::feed(std::string_view data) {
  if (m_state == State::failed) {
    return;
  }
  if (!m_toc_done && m_listener) {
    m_toc_bytes.append(data);
  }
  // Chunk data goes straight through when nothing is pending: no copy.
  if (m_state == State::chunk_data && m_at == m_pending.size()) {
    m_pending.clear();
    m_at = 0;
    auto direct = std::min<std::uint64_t>(m_chunk_left, data.size());
    count_rows(data.substr(0, direct));
    m_chunk_left -= direct;
    data.remove_prefix(direct);
    if (m_chunk_left == 0) {
      m_state = State::chunk_length;
    }
  }
  m_pending.append(data);
  while (step()) {
  }
  if (m_at > 0 && m_state != State::failed) {
    m_pending.erase(0, m_at);
    m_at = 0;
  }
}

ArchiveSummary ArchiveScanner::finish() {
  if (m_state == State::failed) {
    return m_summary;
  }
  bool between_blocks = m_state == State::block && m_at == m_pending.size();
  bool all_data = true;
  for (const auto& table : m_summary.tables) {
    all_data = all_data && table.data_seen;
  }
  m_summary.complete = between_blocks && all_data;
  if (!m_summary.complete) {
    m_summary.problem = between_blocks ? "a table's data block is missing"
                                       : "the archive ends in the middle of a block";
  }
  return m_summary;
}

} // namespace golfops::commands::backup
