#pragma once
/// \file
/// TrustStore's private state: the GnuTLS certificate credentials (trust anchors, verification
/// limits). Immutable after construction; GnuTLS allows sharing one credentials object among
/// sessions on many threads.

#include <atomic>
#include <cstdint>

#include "handles.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"

namespace starttls_exporter::tls {

struct TrustStore::Impl {
  CredentialsPtr credentials;
  /// Unique for the process' lifetime: what a cached verdict was judged against. A reload that
  /// reads a changed CA file builds a new store, so verdicts judged against the old one are
  /// never found again.
  std::uint64_t id = next_id();

  static std::uint64_t next_id() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
  }
};

}  // namespace starttls_exporter::tls
