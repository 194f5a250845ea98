// The Resolver against a real authoritative server (nsd) serving a zone tree signed at test
// time (tests/dns/dns_zone_instance.sh, started by with_dns_zone.sh). DNS_TEST_PORT names its
// port and DNS_TEST_TRUST_ANCHOR the signed parent's DNSKEY. Loopback only.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "env.hpp"
#include "silent_udp.hpp"
#include "starttls_exporter/core/unique_fd.hpp"
#include "starttls_exporter/dns/dns.hpp"
#include "starttls_exporter/dns/mail_path.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;

namespace {

dns::ResolverSettings settings(std::uint16_t port, std::chrono::milliseconds timeout = 5s) {
  std::ifstream in(testing::dns_zone_env("DNS_TEST_TRUST_ANCHOR"));
  REQUIRE(in.is_open());
  dns::ResolverSettings s;
  s.forwarders = {{"127.0.0.1", port}};
  s.trust_anchor = {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  s.trust_anchor_origin = "test anchor";
  s.timeout = timeout;
  return s;
}

std::uint16_t nsd_port() {
  return static_cast<std::uint16_t>(std::stoi(testing::dns_zone_env("DNS_TEST_PORT")));
}

/// Runs `body(resolver)` as a coroutine on a fresh io_context and returns its value.
template <class T, class Body>
T on_engine(const dns::ResolverSettings& s, Body body) {
  asio::io_context io;
  dns::Resolver resolver(io, s);
  T out{};
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out = co_await body(resolver); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return out;
}

dns::Answer lookup(const std::string& name, dns::RecordType type) {
  return on_engine<dns::Answer>(settings(nsd_port()),
                                [&](dns::Resolver& r) { return r.lookup(name, type); });
}

dns::MailPath mail_path(const std::string& domain, config::DnsSettings dns_settings = {},
                        std::optional<std::uint16_t> tlsa_port = std::nullopt) {
  std::string problem;
  for (const char* network : {"127.0.0.0/8", "::1"}) {
    dns_settings.allowed_reserved_cidrs.push_back(*config::parse_ip_network(network, problem));
  }
  return on_engine<dns::MailPath>(settings(nsd_port()), [&](dns::Resolver& r) {
    return dns::resolve_mail_path(
        [&r](std::string name, dns::RecordType type) { return r.lookup(std::move(name), type); },
        domain, dns_settings, tlsa_port);
  });
}

}  // namespace

TEST_CASE("secure, insecure, bogus and expired answers are told apart") {
  const auto secure = lookup("secure.sxt", dns::RecordType::mx);
  CHECK(secure.outcome == dns::Outcome::data);
  CHECK(secure.secure);
  REQUIRE(secure.mx.size() == 2);
  CHECK(secure.mx[0] == dns::MxRecord{10, "mx1.secure.sxt"});
  CHECK(secure.mx[1] == dns::MxRecord{20, "mx2.secure.sxt"});
  REQUIRE(secure.signature_expiry);
  CHECK(*secure.signature_expiry > std::chrono::system_clock::now());

  const auto insecure = lookup("insecure.sxt", dns::RecordType::mx);
  CHECK(insecure.outcome == dns::Outcome::data);
  CHECK_FALSE(insecure.secure);

  const auto bogus = lookup("bogus.sxt", dns::RecordType::mx);
  CHECK(bogus.outcome == dns::Outcome::bogus);
  CHECK_FALSE(bogus.why_bogus.empty());
  CHECK(bogus.mx.empty());  // a bogus answer's records are never used

  const auto expired = lookup("expired.sxt", dns::RecordType::mx);
  CHECK(expired.outcome == dns::Outcome::bogus);
  CAPTURE(expired.why_bogus);
  CHECK(expired.why_bogus.find("expired") != std::string::npos);
}

TEST_CASE("nxdomain, nodata, servfail; a special-use name is resolved, not shadowed") {
  CHECK(lookup("nothing.secure.sxt", dns::RecordType::mx).outcome == dns::Outcome::nxdomain);
  const auto nodata = lookup("mx1.secure.sxt", dns::RecordType::mx);
  CHECK(nodata.outcome == dns::Outcome::nodata);
  CHECK(nodata.secure);  // a signed denial
  CHECK(lookup("example.com", dns::RecordType::mx).outcome == dns::Outcome::servfail);
  const auto special = lookup("mail.test", dns::RecordType::mx);
  CHECK(special.outcome == dns::Outcome::data);
  CHECK(special.mx.size() == 1);
}

TEST_CASE("an answer too large for UDP arrives over TCP") {
  const auto big = lookup("bighost.secure.sxt", dns::RecordType::a);
  CHECK(big.outcome == dns::Outcome::data);
  CHECK(big.secure);
  CHECK(big.addresses.size() == 120);
}

TEST_CASE("a server that never answers: the lookup ends at its deadline") {
  // A UDP socket that reads nothing, and a TCP port with nothing behind it.
  const testing::SilentUdpSocket silent;
  const auto started = std::chrono::steady_clock::now();
  const auto answer = on_engine<dns::Answer>(settings(silent.port, 400ms), [](dns::Resolver& r) {
    return r.lookup("secure.sxt", dns::RecordType::mx);
  });
  CHECK(answer.outcome == dns::Outcome::timeout);
  CHECK(std::chrono::steady_clock::now() - started < 5s);  // generous: the deadline held
}

TEST_CASE("mail paths: MX order, CNAME, null MX, implicit MX, reserved, bounds, DNSSEC") {
  const auto secure = mail_path("secure.sxt");
  CHECK(secure.resolved);
  CHECK(secure.secure);
  REQUIRE(secure.hosts.size() == 2);
  CHECK(secure.hosts[0].name == "mx1.secure.sxt");
  CHECK(secure.hosts[0].addresses == std::vector<std::string>{"127.0.0.11"});
  CHECK(secure.hosts[1].addresses == std::vector<std::string>{"127.0.0.12", "::1"});
  CHECK(secure.failures.empty());

  const auto cname = mail_path("cname.secure.sxt");
  REQUIRE(cname.hosts.size() == 1);
  CHECK(cname.hosts[0].name == "alias.secure.sxt");
  CHECK(cname.hosts[0].canonical_name == "mx1.secure.sxt");
  CHECK(cname.hosts[0].addresses == std::vector<std::string>{"127.0.0.11"});

  const auto null_mx = mail_path("nullmx.secure.sxt");
  CHECK(null_mx.null_mx);
  CHECK(null_mx.hosts.empty());
  CHECK(null_mx.failures.contains(dns::DomainFailure::null_mx));

  const auto implicit = mail_path("nomx.secure.sxt");
  CHECK(implicit.implicit_mx);
  REQUIRE(implicit.hosts.size() == 1);
  CHECK(implicit.hosts[0].addresses == std::vector<std::string>{"127.0.0.13"});

  const auto reserved = mail_path("reserved.secure.sxt");
  REQUIRE(reserved.hosts.size() == 1);
  CHECK(reserved.hosts[0].addresses == std::vector<std::string>{"127.0.0.14"});
  REQUIRE(reserved.hosts[0].reserved.size() == 1);
  CHECK(reserved.hosts[0].reserved[0].range == "private");
  CHECK(reserved.failures.contains(dns::DomainFailure::address_reserved));

  // 12 MX hosts: a real-world count, far under the default bound, all probed.
  const auto many = mail_path("many.secure.sxt");
  CHECK(many.hosts.size() == 12);
  CHECK_FALSE(many.failures.contains(dns::DomainFailure::too_many_hosts));
  config::DnsSettings bounded;
  bounded.max_mx_hosts = 10;
  const auto cut = mail_path("many.secure.sxt", bounded);
  CHECK(cut.hosts.size() == 10);
  CHECK(cut.failures.contains(dns::DomainFailure::too_many_hosts));
  // 120 addresses on one host: over the default 64, reported with its own reason.
  const auto big = mail_path("big.secure.sxt");
  CHECK(big.hosts.at(0).addresses.size() == 64);
  CHECK(big.failures.contains(dns::DomainFailure::too_many_addresses));

  const auto bogus = mail_path("bogus.sxt");
  CHECK_FALSE(bogus.resolved);
  CHECK(bogus.failures.contains(dns::DomainFailure::dns_bogus));
  CHECK_FALSE(mail_path("insecure.sxt").secure);
  CHECK(mail_path("nothing.sxt").failures.contains(dns::DomainFailure::nxdomain));
}

TEST_CASE("a broken trust anchor fails closed") {
  asio::io_context io;
  auto s = settings(nsd_port());
  s.trust_anchor = "; comments only\n";
  CHECK_THROWS_AS(dns::Resolver(io, s), dns::DnsError);
  s.trust_anchor = "sxt. IN DNSKEY not a key\n";
  CHECK_THROWS_AS(dns::Resolver(io, s), dns::DnsError);
}

TEST_CASE("a forwarder that drops some names still answers the others before their deadline") {
  // 64 lookups the relay never answers, then 300 it does (distinct names: none is cached).
  // libunbound's default 16 outgoing ports were all held by the unanswered ones, and the
  // others waited behind them until their own deadline.
  const auto port =
      static_cast<std::uint16_t>(std::stoi(testing::dns_zone_env("DNS_TEST_DROP_PORT")));
  struct Counts {
    int answered = 0, timed_out = 0, silent_timed_out = 0;
  };
  const Counts counts =
      on_engine<Counts>(settings(port, 3s), [](dns::Resolver& r) -> asio::awaitable<Counts> {
        Counts out;
        auto executor = co_await asio::this_coro::executor;
        int left = 364;
        asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
        const auto run = [&](std::string name, bool silent) -> asio::awaitable<void> {
          const dns::Answer answer = co_await r.lookup(std::move(name), dns::RecordType::mx);
          if (silent) {
            // Unanswered, they end at their deadline; or, once the other names' NSEC records
            // are cached, libunbound may prove them absent itself (aggressive NSEC, RFC 8198),
            // which a loaded machine makes likelier. Never any other outcome.
            out.silent_timed_out +=
                answer.outcome == dns::Outcome::timeout || answer.outcome == dns::Outcome::nxdomain;
          } else if (answer.outcome == dns::Outcome::timeout) {
            ++out.timed_out;
          } else {
            out.answered += answer.outcome == dns::Outcome::nxdomain;
          }
          if (--left == 0) all_done.cancel();
        };
        for (int i = 0; i < 64; ++i) {
          asio::co_spawn(executor, run("d" + std::to_string(i) + ".silent.secure.sxt", true),
                         asio::detached);
        }
        for (int i = 0; i < 300; ++i) {
          asio::co_spawn(executor, run("nx" + std::to_string(i) + ".secure.sxt", false),
                         asio::detached);
        }
        co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        co_return out;
      });
  CHECK(counts.silent_timed_out == 64);
  CHECK(counts.timed_out == 0);
  CHECK(counts.answered == 300);
}
