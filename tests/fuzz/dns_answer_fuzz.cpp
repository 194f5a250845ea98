// Fuzz target for the DNS answer parsers (src/dns/answer_parse): the first byte picks what the
// rest is: rdata of one record type, or a whole response packet (RRSIG expirations, ldns).
// Aborts when a parser breaks its bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "../../src/dns/answer_parse.hpp"

using namespace starttls_exporter::dns;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      std::size_t pos = 0;
      if (const auto name = detail::read_wire_name(bytes, pos)) {
        check(name->size() <= 254 && pos <= bytes.size());
      }
      break;
    }
    case 1:
      if (const auto mx = detail::parse_mx(bytes)) check(mx->host.size() <= 254);
      if (const auto srv = detail::parse_srv(bytes)) check(srv->target.size() <= 254);
      break;
    case 2:
      detail::parse_address(bytes, RecordType::a);
      detail::parse_address(bytes, RecordType::aaaa);
      if (const auto txt = detail::parse_txt(bytes)) check(txt->size() <= bytes.size());
      if (const auto tlsa = detail::parse_tlsa(bytes)) check(tlsa->data.size() + 3 == bytes.size());
      break;
    case 3:
      detail::earliest_signature_expiry(bytes);
      break;
    default: {
      detail::RawResult raw;
      raw.havedata = true;
      raw.data.emplace_back(bytes.begin(), bytes.end());
      raw.packet.assign(bytes.begin(), bytes.end());
      const Answer answer = detail::classify(raw, RecordType::mx);
      check(answer.outcome == Outcome::data || answer.outcome == Outcome::servfail);
      const Answer tlsa = detail::classify(raw, RecordType::tlsa);
      check(tlsa.outcome == Outcome::data ? tlsa.tlsa.size() == 1
                                          : tlsa.outcome == Outcome::servfail);
      const Answer srv = detail::classify(raw, RecordType::srv);
      check(srv.outcome == Outcome::data ? srv.srv.size() == 1 : srv.outcome == Outcome::servfail);
    }
  }
  return 0;
}
