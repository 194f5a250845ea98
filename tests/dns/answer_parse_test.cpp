// Parsing and classifying libunbound's raw results, without a network.
#include <doctest/doctest.h>

#include <vector>

#include "answer_parse.hpp"
#include "starttls_exporter/dns/mail_path.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::dns;
using detail::Bytes;

namespace {

std::vector<std::uint8_t> wire(std::initializer_list<int> bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("wire names: lower-cased, bounded, no compression") {
  const auto name = wire({2, 'M', 'x', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0});
  std::size_t pos = 0;
  CHECK(detail::read_wire_name(name, pos) == "mx.example");
  CHECK(pos == name.size());
  pos = 0;
  CHECK(detail::read_wire_name(wire({0}), pos) == "");
  for (const auto& bad : {wire({3, 'a', 'b'}), wire({0xc0, 0x0c}), wire({2, 'a', 'b'}), wire({})}) {
    pos = 0;
    CHECK_FALSE(detail::read_wire_name(bad, pos));
  }
  std::vector<std::uint8_t> long_name;
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.push_back(0);
  pos = 0;
  CHECK_FALSE(detail::read_wire_name(long_name, pos));  // over 255 bytes
}

TEST_CASE("MX, A, AAAA and TXT rdata") {
  CHECK(detail::parse_mx(wire({0, 10, 2, 'm', 'x', 0})) == MxRecord{10, "mx"});
  CHECK(detail::parse_mx(wire({0, 0, 0})) == MxRecord{0, ""});      // null MX
  CHECK_FALSE(detail::parse_mx(wire({0, 10, 2, 'm', 'x', 0, 1})));  // trailing bytes
  CHECK(detail::parse_address(wire({127, 0, 0, 1}), RecordType::a) == "127.0.0.1");
  CHECK_FALSE(detail::parse_address(wire({127, 0, 0}), RecordType::a));
  CHECK(detail::parse_address(wire({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                              RecordType::aaaa) == "::1");
  CHECK(detail::parse_txt(wire({3, 'v', '=', 'S', 2, 'T', 'S'})) == "v=STS");
  CHECK_FALSE(detail::parse_txt(wire({4, 'a'})));
  CHECK_FALSE(detail::earliest_signature_expiry(wire({1, 2, 3})));
}

TEST_CASE("SRV rdata (RFC 2782), sorted by priority then weight, largest first") {
  CHECK(detail::parse_srv(wire({0, 5, 0, 10, 3, 0xe1, 2, 'm', 'x', 0})) ==
        SrvRecord{5, 10, 993, "mx"});
  CHECK(detail::parse_srv(wire({0, 0, 0, 0, 0, 0, 0})) == SrvRecord{0, 0, 0, ""});  // "."
  CHECK_FALSE(detail::parse_srv(wire({0, 0, 0, 0, 0, 0})));                         // no target
  CHECK_FALSE(detail::parse_srv(wire({0, 0, 0, 0, 0, 0, 1, 'a', 0, 9})));           // trailing
  detail::RawResult raw;
  raw.havedata = true;
  raw.data = {{0, 10, 0, 1, 0, 25, 1, 'c', 0},
              {0, 5, 0, 1, 0, 25, 1, 'b', 0},
              {0, 10, 0, 9, 0, 25, 1, 'a', 0}};
  const Answer answer = detail::classify(raw, RecordType::srv);
  REQUIRE(answer.srv.size() == 3);
  CHECK(answer.srv[0].target == "b");
  CHECK(answer.srv[1].target == "a");  // weight 9 before weight 1
  CHECK(answer.srv[2].target == "c");
}

TEST_CASE("classification: bogus first, then rcode, NXDOMAIN, NODATA, records") {
  detail::RawResult raw;
  raw.qname = "Example.COM.";
  raw.havedata = true;
  raw.secure = true;
  raw.data = {wire({0, 5, 2, 'm', 'x', 0}), wire({0, 1, 1, 'a', 0})};
  const Answer data = detail::classify(raw, RecordType::mx);
  CHECK(data.outcome == Outcome::data);
  CHECK(data.secure);
  CHECK(data.canonical_name == "example.com");
  REQUIRE(data.mx.size() == 2);
  CHECK(data.mx[0].host == "a");  // by preference

  raw.bogus = true;
  raw.why_bogus = "signature expired";
  const Answer bogus = detail::classify(raw, RecordType::mx);
  CHECK(bogus.outcome == Outcome::bogus);
  CHECK_FALSE(bogus.secure);
  CHECK(bogus.mx.empty());
  raw.bogus = false;

  raw.rcode = 2;
  CHECK(detail::classify(raw, RecordType::mx).outcome == Outcome::servfail);
  raw.rcode = 3;
  CHECK(detail::classify(raw, RecordType::mx).outcome == Outcome::nxdomain);
  raw.rcode = 0;
  raw.havedata = false;
  CHECK(detail::classify(raw, RecordType::mx).outcome == Outcome::nodata);
  raw.havedata = true;
  raw.data = {wire({0, 5, 2, 'm'})};
  const Answer malformed = detail::classify(raw, RecordType::mx);
  CHECK(malformed.outcome == Outcome::servfail);
  CHECK(malformed.error == "malformed MX record");
  raw.error = 5;
  raw.error_text = "out of memory";
  CHECK(detail::classify(raw, RecordType::mx).outcome == Outcome::error);
}

TEST_CASE("reserved ranges") {
  CHECK(reserved_range("127.0.0.1") == "loopback");
  CHECK(reserved_range("10.0.0.5") == "private");
  CHECK(reserved_range("100.64.1.1") == "cgnat");
  CHECK(reserved_range("169.254.1.1") == "link_local");
  CHECK(reserved_range("192.0.2.25") == "documentation");
  CHECK(reserved_range("2001:db8::25") == "documentation");
  CHECK(reserved_range("224.0.0.1") == "multicast");
  CHECK(reserved_range("0.0.0.0") == "unspecified");
  CHECK(reserved_range("::ffff:10.0.0.1") == "ipv4_mapped");
  CHECK(reserved_range("fd00::1") == "private");
  CHECK(reserved_range("::1") == "loopback");
  CHECK(reserved_range("8.8.8.8").empty());
  CHECK(reserved_range("2a00:1450::1").empty());
}
