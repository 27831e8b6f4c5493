#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace golfops::core::output {

// A Prometheus textfile-collector file (node_exporter
// --collector.textfile.directory), replaced atomically and world-readable:
// a scrape sees the previous run or this one, never a torn or empty file.
// Secrets are redacted like every other output.
void write_textfile(const std::filesystem::path& path, std::string_view metrics);

// "# HELP/# TYPE <name> gauge" and `<name>{<labels>,reason="..."} 1`:
// golfops itself failed (reason usage, failed, or the typed failure: dns,
// connect, ...). `labels` is empty or `database="golf"`.
std::string error_metric(std::string_view name,
                         std::string_view help,
                         const Error& error,
                         std::string_view labels = {});
// The same gauge at 0: this run worked.
std::string ok_metric(std::string_view name, std::string_view help, std::string_view labels = {});

// A label value escaped as the Prometheus text format asks (\\, \", \n).
std::string label_value(std::string_view value);

// The --metrics-file value in a command line ("--metrics-file P" or
// "--metrics-file=P"), or empty: for reporting a failure that happened
// before the command's own flags were parsed.
std::string metrics_file_in(const std::vector<std::string>& words);

} // namespace golfops::core::output
