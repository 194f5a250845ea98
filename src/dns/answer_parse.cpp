#include "answer_parse.hpp"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::dns::detail {
namespace {

constexpr std::size_t kMaxNameBytes = 255;  // RFC 1035 §2.3.4
constexpr int kRcodeNoError = 0;
constexpr int kRcodeNxDomain = 3;

struct PacketDeleter {
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};

void earliest_in(const ldns_rr_list* rrs, std::optional<SystemTime>& earliest) {
  for (std::size_t i = 0; rrs != nullptr && i < ldns_rr_list_rr_count(rrs); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG) continue;
    const ldns_rdf* expiration = ldns_rr_rrsig_expiration(rr);
    if (expiration == nullptr || ldns_rdf_get_type(expiration) != LDNS_RDF_TYPE_TIME) continue;
    const auto when = std::chrono::system_clock::from_time_t(ldns_rdf2native_time_t(expiration));
    if (!earliest || when < *earliest) earliest = when;
  }
}

/// Every record parsed into `out`; false when one does not parse.
bool parse_records(const RawResult& raw, RecordType type, Answer& out) {
  for (const auto& rdata : raw.data) {
    const Bytes bytes(rdata.data(), rdata.size());
    out.rdata.push_back(rdata);
    if (type == RecordType::a || type == RecordType::aaaa) {
      auto address = parse_address(bytes, type);
      if (!address) return false;
      out.addresses.push_back(std::move(*address));
    } else if (type == RecordType::mx) {
      auto mx = parse_mx(bytes);
      if (!mx) return false;
      out.mx.push_back(std::move(*mx));
    } else if (type == RecordType::srv) {
      auto srv = parse_srv(bytes);
      if (!srv) return false;
      out.srv.push_back(std::move(*srv));
    } else if (type == RecordType::txt) {
      auto txt = parse_txt(bytes);
      if (!txt) return false;
      out.texts.push_back(std::move(*txt));
    } else if (type == RecordType::tlsa) {
      auto tlsa = parse_tlsa(bytes);
      if (!tlsa) return false;
      out.tlsa.push_back(std::move(*tlsa));
    }
  }
  std::sort(out.mx.begin(), out.mx.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference != b.preference ? a.preference < b.preference : a.host < b.host;
  });
  std::sort(out.srv.begin(), out.srv.end(), [](const SrvRecord& a, const SrvRecord& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.weight != b.weight ? a.weight > b.weight : a.target < b.target;
  });
  return true;
}

std::uint16_t read_u16(Bytes rdata, std::size_t pos) {
  return static_cast<std::uint16_t>(rdata[pos] << 8 | rdata[pos + 1]);
}

}  // namespace

std::optional<std::string> read_wire_name(Bytes rdata, std::size_t& pos) {
  std::string name;
  std::size_t wire_bytes = 0;
  while (pos < rdata.size()) {
    const std::size_t length = rdata[pos++];
    ++wire_bytes;
    if (length == 0) return name;
    if (length > 63 || pos + length > rdata.size()) return std::nullopt;  // incl. pointers
    wire_bytes += length;
    if (wire_bytes > kMaxNameBytes) return std::nullopt;
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < length; ++i) {
      name += static_cast<char>(std::tolower(rdata[pos + i]));
    }
    pos += length;
  }
  return std::nullopt;  // no terminating root label
}

std::optional<MxRecord> parse_mx(Bytes rdata) {
  if (rdata.size() < 3) return std::nullopt;
  MxRecord mx;
  mx.preference = static_cast<std::uint16_t>(rdata[0] << 8 | rdata[1]);
  std::size_t pos = 2;
  auto host = read_wire_name(rdata, pos);
  if (!host || pos != rdata.size()) return std::nullopt;
  mx.host = std::move(*host);
  return mx;
}

std::optional<SrvRecord> parse_srv(Bytes rdata) {
  if (rdata.size() < 7) return std::nullopt;
  SrvRecord srv;
  srv.priority = read_u16(rdata, 0);
  srv.weight = read_u16(rdata, 2);
  srv.port = read_u16(rdata, 4);
  std::size_t pos = 6;
  auto target = read_wire_name(rdata, pos);
  if (!target || pos != rdata.size()) return std::nullopt;
  srv.target = std::move(*target);
  return srv;
}

std::optional<std::string> parse_address(Bytes rdata, RecordType type) {
  const std::size_t want = type == RecordType::a ? 4 : 16;
  if (rdata.size() != want || (type != RecordType::a && type != RecordType::aaaa)) {
    return std::nullopt;
  }
  char text[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(type == RecordType::a ? AF_INET : AF_INET6, rdata.data(), text, sizeof text) ==
      nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<std::string> parse_txt(Bytes rdata) {
  std::string out;
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    const std::size_t length = rdata[pos++];
    if (pos + length > rdata.size()) return std::nullopt;
    out.append(reinterpret_cast<const char*>(rdata.data() + pos), length);
    pos += length;
  }
  return out;
}

std::optional<dane::TlsaRecord> parse_tlsa(Bytes rdata) {
  // RFC 6698 §2.1: usage, selector, matching type (one octet each), then the association data.
  // Parameters outside the known values still parse: a sender finds them unusable (RFC 7672
  // §3.1.3), which is the DANE check's to report, not a malformed answer.
  if (rdata.size() < 4) return std::nullopt;  // no association data is not a record
  dane::TlsaRecord record;
  record.usage = rdata[0];
  record.selector = rdata[1];
  record.matching_type = rdata[2];
  record.data.assign(rdata.begin() + 3, rdata.end());
  return record;
}

std::optional<SystemTime> earliest_signature_expiry(Bytes packet) {
  ldns_pkt* raw = nullptr;
  if (packet.empty() || ldns_wire2pkt(&raw, packet.data(), packet.size()) != LDNS_STATUS_OK) {
    return std::nullopt;
  }
  const std::unique_ptr<ldns_pkt, PacketDeleter> parsed(raw);
  std::optional<SystemTime> earliest;
  earliest_in(ldns_pkt_answer(parsed.get()), earliest);
  earliest_in(ldns_pkt_authority(parsed.get()), earliest);
  return earliest;
}

Answer failed_answer(Outcome outcome, std::string error) {
  Answer out;
  out.outcome = outcome;
  out.error = std::move(error);
  return out;
}

Answer classify(const RawResult& raw, RecordType type) {
  Answer out;
  if (raw.error != 0) {
    out.outcome = Outcome::error;
    out.error = raw.error_text;
    return out;
  }
  out.canonical_name =
      net::normalise_domain_name(raw.canonname.empty() ? raw.qname : raw.canonname);
  out.ttl = std::chrono::seconds(std::max(raw.ttl, 0));
  out.signature_expiry = earliest_signature_expiry(raw.packet);
  if (raw.bogus) {
    out.outcome = Outcome::bogus;
    out.why_bogus = raw.why_bogus.empty() ? "validation failed" : raw.why_bogus;
    return out;
  }
  out.secure = raw.secure;
  if (raw.rcode == kRcodeNxDomain || raw.nxdomain) {
    out.outcome = Outcome::nxdomain;
  } else if (raw.rcode != kRcodeNoError) {
    out.outcome = Outcome::servfail;
    out.error = "rcode " + std::to_string(raw.rcode);
  } else if (!raw.havedata) {
    out.outcome = Outcome::nodata;
  } else if (!parse_records(raw, type, out)) {
    out = failed_answer(Outcome::servfail, "malformed " + std::string(to_string(type)) + " record");
  } else {
    out.outcome = Outcome::data;
  }
  return out;
}

}  // namespace starttls_exporter::dns::detail
