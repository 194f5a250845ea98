#pragma once
/// \file
/// Small POSIX file helpers: the config loader's named files and the certificate files the
/// prober re-reads. They never block on FIFOs or devices: files are opened O_NONBLOCK and must
/// be regular files.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace starttls_exporter {

/// A certificate file (certificate_file) is a chain of a few certificates: 1 MiB is far above
/// any real one, and the bound of every read of one.
inline constexpr std::size_t kMaxCertificateFileBytes = 1 << 20;

/// Reads the whole regular file at `path` into `out`. Returns nullopt on success, else the
/// reason ("No such file or directory", "not a regular file", "larger than N bytes").
std::optional<std::string> read_regular_file(const std::string& path, std::string& out,
                                             std::size_t max_bytes);

/// The paths `pattern` matches now (glob(3): * ? [ ]; a plain path matches itself when it
/// exists), sorted; empty when none.
std::vector<std::string> matching_files(const std::string& pattern);

}  // namespace starttls_exporter
