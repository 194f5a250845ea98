#pragma once
/// \file
/// Giving the heap's free pages back to the kernel after work that peaks far above what it
/// keeps.

namespace starttls_exporter {

/// On destruction, returns the heap's free pages to the kernel (glibc malloc_trim). Parsing a
/// 10,000-target config builds ~40 MB of YAML nodes for a few MB of result, and a /metrics page
/// allocates its temporaries in the serving thread's own arena; without a trim the process
/// keeps each peak as RSS. Thread-safe.
struct ReturnFreedMemory {
  ReturnFreedMemory() = default;
  ReturnFreedMemory(const ReturnFreedMemory&) = delete;
  ReturnFreedMemory& operator=(const ReturnFreedMemory&) = delete;
  ~ReturnFreedMemory();
};

}  // namespace starttls_exporter
