#pragma once
/// \file
/// DNS lookups with DNSSEC validation in-process (src/dns, libunbound), on the engine's
/// io_context. Answers are plain values, parsed and classified at the edge.
///
/// Threading: a Resolver and its lookups belong to the thread that runs its io_context (the
/// engine thread). No lookup blocks that thread: libunbound resolves on its own worker thread
/// and its results are read when its descriptor is readable.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/dane.hpp"
#include "starttls_exporter/core/histogram.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::dns {

/// The record types the exporter asks for (IANA numbers).
enum class RecordType : int { a = 1, cname = 5, mx = 15, txt = 16, aaaa = 28, srv = 33, tlsa = 52 };
std::string_view to_string(RecordType type) noexcept;

/// How a lookup ended. Bogus and servfail are failures, never "insecure".
enum class Outcome {
  data,      ///< records of the type asked for
  nodata,    ///< the name exists, without records of that type
  nxdomain,  ///< the name does not exist
  servfail,  ///< the server failed (SERVFAIL or another error rcode)
  bogus,     ///< DNSSEC validation failed: the answer must not be used
  timeout,   ///< no answer before the lookup's deadline
  error,     ///< the lookup could not be made (see Answer::error) or was cancelled
};
/// Stable lower-case name ("nxdomain"), used as a label value.
std::string_view to_string(Outcome outcome) noexcept;

struct MxRecord {
  std::uint16_t preference = 0;
  std::string host;  ///< lower case, no trailing dot; empty for the null MX "." (RFC 7505)
  friend bool operator==(const MxRecord&, const MxRecord&) = default;
};

/// One SRV record (RFC 2782): where a service of a domain is offered.
struct SrvRecord {
  std::uint16_t priority = 0;  ///< lower first
  std::uint16_t weight = 0;    ///< among equal priorities, the larger share of connections
  std::uint16_t port = 0;
  std::string target;  ///< lower case, no trailing dot; empty for "." ("not offered", RFC 2782)
  friend bool operator==(const SrvRecord&, const SrvRecord&) = default;
};

/// One lookup's answer.
struct Answer {
  Outcome outcome = Outcome::error;
  /// DNSSEC-validated (meaningful for data, nodata and nxdomain: a signed denial is secure).
  bool secure = false;
  std::string why_bogus;  ///< Outcome::bogus: the validator's reason
  std::string error;      ///< Outcome::error and servfail: what went wrong
  /// The name the records belong to after following CNAMEs (lower case, no trailing dot).
  std::string canonical_name;
  std::vector<std::string> addresses;  ///< A and AAAA: canonical IP literals, in answer order
  std::vector<MxRecord> mx;            ///< MX: sorted by preference, then host
  /// SRV: by priority, then weight (largest first), then target: the order a client tries
  /// them in when it always takes the likeliest of RFC 2782's weighted draw.
  std::vector<SrvRecord> srv;
  std::vector<std::string> texts;                ///< TXT: each record's strings concatenated
  std::vector<dane::TlsaRecord> tlsa;            ///< TLSA, in answer order
  std::vector<std::vector<std::uint8_t>> rdata;  ///< every record's raw rdata, in answer order
  std::chrono::seconds ttl{0};  ///< the answer's TTL (negative answers: the SOA minimum)
  /// The earliest RRSIG expiration in the answer and authority sections, when signed.
  std::optional<SystemTime> signature_expiry;
  double seconds = 0;  ///< how long the lookup took
};

/// A resolver that cannot be set up (bad forwarder, unusable trust anchor): fail closed.
class DnsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ResolverSettings {
  std::vector<config::ResolverAddress> forwarders;  ///< empty: /etc/resolv.conf's nameservers
  std::string trust_anchor;                 ///< DS/DNSKEY records, one per line (zone-file syntax)
  std::string trust_anchor_origin;          ///< the file it came from, for messages
  std::chrono::milliseconds timeout{5000};  ///< each lookup's deadline
};

/// Lookups by outcome and their latency, for the exporter's self metrics. Plain counts.
struct ResolverStats {
  std::vector<std::pair<Outcome, std::uint64_t>> lookups;  ///< every Outcome, in enum order
  Histogram latency;                                       ///< seconds per lookup
};

/// Checks that libunbound accepts `settings` (forwarders, trust anchor) without starting a
/// resolver. Throws DnsError as the Resolver's constructor would. Any thread.
void check_settings(const ResolverSettings& settings);

class Resolver {
 public:
  /// Configures libunbound (forwarders, the trust anchor, no built-in local zones that would
  /// shadow special-use names such as test. or home.arpa.), then freezes it. Throws DnsError,
  /// naming the forwarder or the trust anchor line that failed.
  Resolver(asio::io_context& io, const ResolverSettings& settings);
  /// Cancels the queries still pending; their lookups answer Outcome::error.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// Looks `name` up; ends by the deadline (Outcome::timeout), or when the awaiting coroutine
  /// is cancelled (Outcome::error, "cancelled"; the query is cancelled in libunbound too).
  /// Never throws except std::bad_alloc.
  asio::awaitable<Answer> lookup(std::string name, RecordType type);

  /// Any thread.
  ResolverStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::dns
