#pragma once
/// \file
/// Verdicts on presented certificate chains, so that a chain the server presented before is
/// not parsed and path-validated again. The Exporter owns the one cache of its probes and
/// hands it to each session (ClientSettings::chain_cache); nothing in the process is global,
/// so two exporters in one process (the tests) never share verdicts.
///
/// What stays per probe: the handshake itself (TLS 1.3 CertificateVerify, checked by GnuTLS
/// inside it, proves every time that the server holds the leaf's key), the negotiated
/// parameters, and the stapled OCSP response: a session with a staple is verified afresh.
///
/// Thread-safety: every member function may run on many threads at once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"

namespace starttls_exporter::tls {

/// What parsing and verifying one presented chain found. Immutable once cached; shared by
/// every probe that presents the same chain.
struct ChainVerdict {
  CertificateChain chain;       ///< as TlsFacts::chain; every hit shares it
  bool chain_complete = false;  ///< as TlsFacts::chain_complete
  VerifyVerdict verify;         ///< without an OCSP staple
};

/// The cache key: SHA-256 over the trust store's identity, the name verified, and every DER
/// certificate as sent (each with its length, so no two chains share an encoding).
Sha256 chain_key(std::uint64_t trust_id, std::string_view server_name,
                 std::span<const std::span<const unsigned char>> certificates);

/// Until when a verdict judged at `now` stays right: the first validity edge (notBefore or
/// notAfter) of any certificate of `chain` after `now`, and at most `max_age` (revocation and
/// trust stores change without an edge).
SystemTime verdict_valid_until(const CertificateChain& chain, SystemTime now,
                               std::chrono::seconds max_age);

class ChainCache {
 public:
  struct Limits {
    std::size_t max_entries = 4096;
    std::size_t max_bytes = 32 * 1024 * 1024;  ///< estimated, facts included
    std::chrono::seconds max_age{3600};
  };
  explicit ChainCache(Limits limits);

  /// The verdict for `key` when it is cached and still valid at `now` (a hit makes it the
  /// most recently used); null otherwise (an expired entry is dropped).
  std::shared_ptr<const ChainVerdict> find(const Sha256& key, SystemTime now);
  /// Caches `verdict`, judged at `now`, under `key`; evicts the least recently used entries
  /// beyond the limits.
  void insert(const Sha256& key, std::shared_ptr<const ChainVerdict> verdict, SystemTime now);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t entries = 0;
    std::size_t bytes = 0;
  };
  Stats stats() const;
  const Limits& limits() const noexcept { return limits_; }

 private:
  struct Entry {
    Sha256 key;
    std::shared_ptr<const ChainVerdict> verdict;
    SystemTime valid_until;
    std::size_t bytes;
  };
  void erase(std::list<Entry>::iterator it);  ///< mutex held

  Limits limits_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  ///< most recently used first
  std::map<Sha256, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace starttls_exporter::tls
