#pragma once
/// \file
/// Small POSIX file helpers for the loader. Private to src/config. They never block on FIFOs
/// or devices: files are opened O_NONBLOCK and must be regular files.

#include <cstddef>
#include <optional>
#include <string>

namespace starttls_exporter::config::detail {

/// Reads the whole regular file at `path` into `out`. Returns nullopt on success, else the
/// reason ("No such file or directory", "not a regular file", "larger than N bytes").
std::optional<std::string> read_regular_file(const std::string& path, std::string& out,
                                             std::size_t max_bytes);

}  // namespace starttls_exporter::config::detail
