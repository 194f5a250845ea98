#pragma once
/// \file
/// From libunbound's raw result to an Answer: rdata parsers and the outcome classification.
/// Private to src/dns. Untrusted input (a DNS server's bytes): every parser is bounded, returns
/// nullopt for anything malformed and never throws except std::bad_alloc. The fuzz target
/// tests/fuzz/dns_answer_fuzz.cpp drives them.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "starttls_exporter/dns/dns.hpp"

namespace starttls_exporter::dns::detail {

using Bytes = std::span<const std::uint8_t>;

/// An uncompressed wire-format domain name at `pos` (rdata as libunbound hands it over has no
/// compression pointers); advances `pos`. Lower case, no trailing dot; "" for the root.
std::optional<std::string> read_wire_name(Bytes rdata, std::size_t& pos);

std::optional<MxRecord> parse_mx(Bytes rdata);
/// SRV (RFC 2782): priority, weight, port, then the target name.
std::optional<SrvRecord> parse_srv(Bytes rdata);
/// A (4 bytes) or AAAA (16 bytes) rdata as a canonical IP literal.
std::optional<std::string> parse_address(Bytes rdata, RecordType type);
/// TXT: the character-strings concatenated (RFC 7208 §3.3, RFC 8461 §3.1 read them so).
std::optional<std::string> parse_txt(Bytes rdata);

/// TLSA (RFC 6698 §2.1): three parameter octets and at least one octet of association data.
std::optional<dane::TlsaRecord> parse_tlsa(Bytes rdata);

/// The earliest RRSIG signature expiration in a whole DNS response's answer and authority
/// sections, or nullopt when it has none or does not parse.
std::optional<SystemTime> earliest_signature_expiry(Bytes packet);

/// An answer without records: `outcome` with `error` as its reason.
Answer failed_answer(Outcome outcome, std::string error);

/// What libunbound reported, copied out of its ub_result (so classification needs no
/// libunbound and can be tested and fuzzed on its own).
struct RawResult {
  int error = 0;  ///< ub_resolve's error code; non-zero: no result
  std::string error_text;
  int rcode = 0;
  bool havedata = false;
  bool nxdomain = false;
  bool secure = false;
  bool bogus = false;
  std::string why_bogus;
  std::string canonname;
  std::string qname;
  std::vector<std::vector<std::uint8_t>> data;
  int ttl = 0;
  std::vector<std::uint8_t> packet;
};

/// The Answer for a lookup of `type`: bogus first (never usable), then rcode (SERVFAIL and
/// other errors), NXDOMAIN, NODATA, then the parsed records. Records that do not parse make
/// the answer servfail ("malformed ... record"): a sender could not use them either.
Answer classify(const RawResult& raw, RecordType type);

}  // namespace starttls_exporter::dns::detail
