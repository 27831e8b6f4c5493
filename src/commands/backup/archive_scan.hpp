#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::commands::backup {

// One table's data in a pg_dump archive.
struct ArchivedTable {
  std::string schema;
  std::string name;
  std::uint64_t rows = 0;     // COPY rows in the archive
  bool data_seen = false;     // its data block was read to the end
  std::string copy_statement; // "COPY public.t (a, b) FROM stdin;"
};

// What a scan of an uncompressed pg_dump custom-format archive found.
struct ArchiveSummary {
  std::string archive_version; // "1.14"
  std::string database;        // as pg_dump recorded it
  std::string server_version;
  std::string pg_dump_version;
  std::size_t toc_entries = 0;
  std::vector<ArchivedTable> tables; // in TOC order
  // What a session loading the data must set first, as pg_restore does
  // (client_encoding, standard_conforming_strings, search_path).
  std::string session_sql;
  // Data blocks that are not table rows (large objects): only pg_restore
  // restores those.
  bool other_data = false;
  bool complete = false; // every table's data block read, nothing after them cut
  std::string problem;   // why the scan stopped, when it did
};

// Reads a pg_dump custom-format archive (-Fc, written with -Z0) as it
// streams past, without storing it: the header, the table of contents, and
// each table's COPY data, counting rows. The same reader checks a backup
// (`verify`: every data block whole, row counts as recorded) and gives the
// exact row counts the manifest records during the dump itself, at the cost
// of one pass over bytes already in memory. A format it does not know (a
// future archive version, compressed data) stops the scan with a problem;
// it never throws.
class ArchiveScanner {
public:
  // Optional: a restore loads the rows as they stream past.
  struct Listener {
    // Once, when the header and table of contents are read, before any
    // data: the summary so far and those bytes (an archive pg_restore
    // reads for everything but the data).
    std::function<void(const ArchiveSummary&, std::string_view toc_bytes)> on_toc;
    // A table's COPY text, in pieces that may end mid-line.
    std::function<void(std::size_t table, std::string_view rows)> on_rows;
    std::function<void(std::size_t table)> on_table_end;
  };
  void listen(Listener listener);
  // The scan stopped: not an archive golfops reads, or a damaged one.
  bool stopped() const { return m_state == State::failed; }

  void feed(std::string_view data);
  // Call at end of input: marks the summary complete when the archive
  // ended cleanly after all data blocks.
  ArchiveSummary finish();

private:
  enum class State { header, toc, block, chunk_length, chunk_data, blob_oid, failed };

  bool step();
  bool read_byte(std::uint8_t& value);
  bool read_int(std::int64_t& value);
  bool read_string(std::optional<std::string>& value);
  bool skip(std::size_t bytes);
  void fail(std::string why);
  void count_rows(std::string_view data);
  void toc_read();

  State m_state = State::header;
  std::string m_pending;
  std::size_t m_at = 0; // read position in m_pending
  int m_int_size = 4;
  int m_offset_size = 8;
  int m_version = 0; // major * 10000 + minor * 100 + revision
  std::int64_t m_entries_left = -1;
  std::map<std::int64_t, std::size_t> m_table_of_dump; // TABLE DATA dump id -> tables index
  std::optional<std::size_t> m_current;                // table whose data is streaming
  bool m_in_blobs = false;
  std::uint64_t m_chunk_left = 0;
  // The COPY line being read: its length and first two bytes, to spot "\.".
  std::size_t m_line_length = 0;
  char m_line_start[2] = {0, 0};
  bool m_copy_ended = false;
  ArchiveSummary m_summary;
  std::optional<Listener> m_listener;
  std::string m_toc_bytes; // kept for a listener until the TOC is read
  bool m_toc_done = false;
};

} // namespace golfops::commands::backup
