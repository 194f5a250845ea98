// The domain round with a table of DNS answers instead of a resolver: targets and their
// expectations (DANE, MTA-STS), the policy refresh's rules, the published state, and reload
// equality. No network: the MTA-STS cases never reach a fetch.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <map>

#include "starttls_exporter/domains/domain_round.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;

namespace {

using Key = std::pair<std::string, dns::RecordType>;

/// Answers from a table; a name and type not in it is NXDOMAIN, signed. Counts lookups.
struct FakeDns {
  std::map<Key, dns::Answer> answers;
  std::map<Key, int> asked;

  dns::LookupFunction lookup() {
    return [this](std::string name, dns::RecordType type) -> asio::awaitable<dns::Answer> {
      ++asked[{name, type}];
      const auto it = answers.find({name, type});
      if (it != answers.end()) co_return it->second;
      dns::Answer none;
      none.outcome = dns::Outcome::nxdomain;
      none.secure = true;
      co_return none;
    };
  }
  void mx(const std::string& domain, std::vector<dns::MxRecord> records) {
    auto& a = answers[{domain, dns::RecordType::mx}];
    a.outcome = dns::Outcome::data;
    a.secure = true;
    a.mx = std::move(records);
    a.ttl = 300s;
  }
  void a(const std::string& host, std::vector<std::string> addresses) {
    auto& answer = answers[{host, dns::RecordType::a}];
    answer.outcome = dns::Outcome::data;
    answer.secure = true;
    answer.addresses = std::move(addresses);
  }
  void txt(const std::string& name, std::string text) {
    auto& answer = answers[{name, dns::RecordType::txt}];
    answer.outcome = dns::Outcome::data;
    answer.secure = true;
    answer.texts = {std::move(text)};
  }
  void srv(const std::string& name, std::vector<dns::SrvRecord> records, bool secure = true) {
    auto& answer = answers[{name, dns::RecordType::srv}];
    answer.outcome = dns::Outcome::data;
    answer.secure = secure;
    answer.srv = std::move(records);
  }
  void tlsa(const std::string& name, dane::TlsaRecord record) {
    auto& answer = answers[{name, dns::RecordType::tlsa}];
    answer.outcome = dns::Outcome::data;
    answer.secure = true;
    answer.tlsa.push_back(std::move(record));
  }
};

template <class T>
T run(asio::awaitable<T> work) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out = std::move(value);
  });
  io.run();
  return std::move(*out);
}

config::DnsSettings dns_settings() {
  config::DnsSettings dns;
  dns.address_family = config::AddressFamilies::ipv4;
  std::string problem;
  dns.allowed_reserved_cidrs.push_back(*config::parse_ip_network("127.0.0.0/8", problem));
  return dns;
}

domains::DomainJob job(const std::string& name) {
  domains::DomainJob out;
  out.domain.name = name;
  out.domain.module = "m";
  out.port = 25;
  out.interval = 60s;
  out.timeout = 5s;
  return out;
}

}  // namespace

TEST_CASE("round: every (MX host, address) becomes a target with its DANE expectation") {
  FakeDns dns;
  dns.mx("example.test", {{10, "mx1.example.test"}, {20, "mx2.example.test"}});
  dns.a("mx1.example.test", {"127.0.0.1", "127.0.0.2"});
  dns.a("mx2.example.test", {"127.0.0.3"});
  dns.tlsa("_25._tcp.mx1.example.test", {3, 1, 1, std::vector<std::uint8_t>(32, 7)});
  domains::PolicyMemory memory;
  const auto round =
      run(domains::run_round(dns.lookup(), job("example.test"), dns_settings(), {}, memory));
  REQUIRE(round.path);
  CHECK(round.path->resolved);
  REQUIRE(round.targets.size() == 3);
  CHECK(round.targets[0].info.key == "127.0.0.1:25|m|mx1.example.test");
  CHECK(round.targets[0].info.labels.at("mx") == "mx1.example.test");
  CHECK(round.targets[0].spec.server_name == "mx1.example.test");
  CHECK(round.targets[0].spec.address == "127.0.0.1");
  CHECK(round.targets[0].interval == 60s);
  REQUIRE(round.targets[0].spec.dane);
  CHECK(round.targets[0].spec.dane->tlsa.status == dane::TlsaStatus::secure);
  CHECK(round.targets[0].spec.dane->reference_names ==
        std::vector<std::string>{"mx1.example.test"});
  CHECK(round.targets[2].spec.dane->tlsa.status == dane::TlsaStatus::none);
  CHECK_FALSE(round.targets[0].spec.mta_sts);
  CHECK_FALSE(round.policy);  // no _mta-sts record

  const auto state = domains::state_of(job("example.test"), round, round.path, round.targets);
  REQUIRE(state->targets->size() == round.targets.size());
  CHECK(state->targets->front().info.key == "127.0.0.1:25|m|mx1.example.test");
  CHECK(state->targets->front().info.labels.at("mx") == "mx1.example.test");
  CHECK(state->path == round.path);
}

TEST_CASE("round: an enforce policy's rule is set on each address; testing and none set none") {
  const auto path_with = [](const char* pattern) {
    dns::MailPath path;
    path.domain = "example.test";
    path.resolved = true;
    dns::MxHost host;
    host.name = host.canonical_name = "mx.example.test";
    host.addresses = {"127.0.0.1"};
    path.hosts.push_back(host);
    mta_sts::PolicyState policy;
    policy.parse.policy = mta_sts::Policy{mta_sts::Mode::enforce, 86400, {pattern}};
    return std::pair{path, policy};
  };
  auto [path, policy] = path_with("*.example.test");
  auto targets = domains::targets_of(path, job("example.test"), &policy);
  REQUIRE(targets.size() == 1);
  REQUIRE(targets[0].spec.mta_sts);
  CHECK(targets[0].spec.mta_sts->mx_matches);
  CHECK(targets[0].spec.mta_sts->matched_pattern == "*.example.test");

  std::tie(path, policy) = path_with("other.example.org");
  targets = domains::targets_of(path, job("example.test"), &policy);
  REQUIRE(targets[0].spec.mta_sts);
  CHECK_FALSE(targets[0].spec.mta_sts->mx_matches);

  policy.parse.policy->mode = mta_sts::Mode::testing;
  CHECK_FALSE(domains::targets_of(path, job("example.test"), &policy)[0].spec.mta_sts);
  policy.parse.policy->mode = mta_sts::Mode::enforce;
  policy.failure = mta_sts::FetchFailure::fetch_failed;  // an unusable policy adds no rule
  CHECK_FALSE(domains::targets_of(path, job("example.test"), &policy)[0].spec.mta_sts);
}

TEST_CASE("policy refresh: no trust store or no usable record, no fetch; same id, kept") {
  FakeDns dns;
  dns.mx("example.test", {{10, "mx.example.test"}});
  dns.a("mx.example.test", {"127.0.0.1"});
  dns.txt("_mta-sts.example.test", "v=STSv1; id=one");
  domains::PolicyMemory memory;
  // Without a trust store nothing is fetched, and mta-sts.example.test is never resolved.
  auto round =
      run(domains::run_round(dns.lookup(), job("example.test"), dns_settings(), {}, memory));
  CHECK_FALSE(round.policy);
  CHECK(dns.asked[{"mta-sts.example.test", dns::RecordType::a}] == 0);

  // With one, a fetch is attempted: mta-sts.example.test has no address, so it fails.
  domains::MtaStsOptions options;
  options.trust = tls::TrustStore::from_pem(testing::TestCa("Policy CA").cert_pem(), "test CA");
  round =
      run(domains::run_round(dns.lookup(), job("example.test"), dns_settings(), options, memory));
  REQUIRE(round.policy);
  CHECK(round.policy->record_id == "one");
  CHECK(round.policy->failure == mta_sts::FetchFailure::fetch_failed);
  CHECK(memory.policy == round.policy);
  const auto fetched_at = memory.fetched_at;
  CHECK(dns.asked[{"mta-sts.example.test", dns::RecordType::a}] == 1);

  // The same id within mta_sts.refresh: the policy is kept, nothing is fetched again.
  const auto again =
      run(domains::run_round(dns.lookup(), job("example.test"), dns_settings(), options, memory));
  CHECK(again.policy == round.policy);
  CHECK(memory.fetched_at == fetched_at);
  CHECK(dns.asked[{"mta-sts.example.test", dns::RecordType::a}] == 1);

  // A new id: fetched again at once (RFC 8461 §3.3).
  dns.txt("_mta-sts.example.test", "v=STSv1; id=two");
  const auto renewed =
      run(domains::run_round(dns.lookup(), job("example.test"), dns_settings(), options, memory));
  REQUIRE(renewed.policy);
  CHECK(renewed.policy->record_id == "two");
  CHECK(dns.asked[{"mta-sts.example.test", dns::RecordType::a}] == 2);

  // The record gone: no policy, and the memory forgets it.
  dns.answers.erase({"_mta-sts.example.test", dns::RecordType::txt});
  const auto gone =
      run(domains::run_round(dns.lookup(), job("example.test"), dns_settings(), options, memory));
  CHECK_FALSE(gone.policy);
  CHECK_FALSE(memory.policy);
}

TEST_CASE("round: null MX and NXDOMAIN give no targets and their reasons") {
  FakeDns dns;
  dns.mx("null.test", {{0, ""}});
  domains::PolicyMemory memory;
  const auto null_mx =
      run(domains::run_round(dns.lookup(), job("null.test"), dns_settings(), {}, memory));
  CHECK(null_mx.targets.empty());
  CHECK(null_mx.path->failures.contains(dns::DomainFailure::null_mx));
  const auto missing =
      run(domains::run_round(dns.lookup(), job("missing.test"), dns_settings(), {}, memory));
  CHECK(missing.targets.empty());
  CHECK(missing.path->failures.contains(dns::DomainFailure::nxdomain));
}

TEST_CASE("round, service: SRV targets in priority order on their own ports (RFC 6186, 7673)") {
  FakeDns dns;
  // Sorted as the parser sorts them: priority, then weight, largest first.
  dns.srv("_imaps._tcp.example.test", {{0, 10, 993, "imap1.example.test"},
                                       {0, 5, 1993, "imap2.example.test"},
                                       {10, 0, 993, "backup.example.test"}});
  dns.a("imap1.example.test", {"127.0.0.1"});
  dns.a("imap2.example.test", {"127.0.0.2"});
  dns.a("backup.example.test", {"127.0.0.3"});
  dns.tlsa("_993._tcp.imap1.example.test", {1, 1, 1, std::vector<std::uint8_t>(32, 7)});
  dns.tlsa("_1993._tcp.imap2.example.test", {0, 0, 1, std::vector<std::uint8_t>(32, 7)});
  auto service = job("example.test");
  service.domain.kind = config::DomainKind::service;
  service.domain.service = "imaps";
  service.domain.module = "m/imaps";
  domains::PolicyMemory memory;
  const auto round = run(domains::run_round(dns.lookup(), service, dns_settings(), {}, memory));
  CHECK(round.path->kind == dns::PathKind::srv);
  CHECK(round.path->domain == "_imaps._tcp.example.test");
  CHECK(round.path->secure);
  REQUIRE(round.targets.size() == 3);
  CHECK(round.targets[0].info.key == "127.0.0.1:993|m/imaps|imap1.example.test");
  CHECK(round.targets[1].info.endpoint == "127.0.0.2:1993");
  CHECK(round.targets[1].spec.port == 1993);
  CHECK(round.targets[1].spec.server_name == "imap2.example.test");
  CHECK(round.targets[2].info.labels.at("mx") == "backup.example.test");
  // The TLSA base domain is the target, at the SRV port, read under RFC 7671's rules.
  REQUIRE(round.targets[0].spec.dane);
  CHECK(round.targets[0].spec.dane->tlsa.status == dane::TlsaStatus::secure);
  CHECK(round.targets[0].spec.dane->tlsa.rules == dane::DaneRules::service);
  CHECK(round.targets[1].spec.dane->tlsa.base_name == "imap2.example.test");
  CHECK(round.targets[2].spec.dane->tlsa.status == dane::TlsaStatus::none);
  // No MTA-STS or TLS-RPT lookups for a service.
  CHECK_FALSE(round.path->mta_sts_txt);
  CHECK(dns.asked.count({"_mta-sts.example.test", dns::RecordType::txt}) == 0);
  CHECK(domains::domain_key(service.domain) == "example.test|m/imaps|imaps");
}

TEST_CASE("round, service: insecure SRV gets no TLSA; \".\" and no records say why") {
  FakeDns dns;
  dns.srv("_submission._tcp.insecure.test", {{0, 0, 587, "mail.insecure.test"}}, false);
  dns.a("mail.insecure.test", {"127.0.0.1"});
  dns.tlsa("_587._tcp.mail.insecure.test", {3, 1, 1, std::vector<std::uint8_t>(32, 7)});
  dns.srv("_pop3s._tcp.none.test", {{0, 0, 0, ""}});
  auto service = [](const char* domain, const char* name) {
    auto out = job(domain);
    out.domain.kind = config::DomainKind::service;
    out.domain.service = name;
    return out;
  };
  domains::PolicyMemory memory;
  const auto insecure = run(domains::run_round(dns.lookup(), service("insecure.test", "submission"),
                                               dns_settings(), {}, memory));
  REQUIRE(insecure.targets.size() == 1);
  CHECK_FALSE(insecure.path->secure);
  CHECK(insecure.targets[0].spec.dane->tlsa.status == dane::TlsaStatus::not_applicable);
  CHECK(dns.asked.count({"_587._tcp.mail.insecure.test", dns::RecordType::tlsa}) == 0);
  const auto dot = run(
      domains::run_round(dns.lookup(), service("none.test", "pop3s"), dns_settings(), {}, memory));
  CHECK(dot.targets.empty());
  CHECK(dot.path->failures.contains(dns::DomainFailure::service_not_offered));
  const auto missing = run(
      domains::run_round(dns.lookup(), service("none.test", "imaps"), dns_settings(), {}, memory));
  CHECK(missing.targets.empty());
  CHECK(missing.path->failures.contains(dns::DomainFailure::no_srv_records));
}

TEST_CASE("round, host: the host's addresses on the entry's port, TLSA at _PORT._tcp.NAME") {
  FakeDns dns;
  dns.a("imap.example.test", {"127.0.0.5"});
  dns.tlsa("_993._tcp.imap.example.test", {0, 0, 1, std::vector<std::uint8_t>(32, 7)});
  auto host = job("imap.example.test");
  host.domain.kind = config::DomainKind::host;
  host.spec.protocol = config::Protocol::imap;
  host.port = 993;
  domains::PolicyMemory memory;
  const auto round = run(domains::run_round(dns.lookup(), host, dns_settings(), {}, memory));
  CHECK(round.path->kind == dns::PathKind::host);
  REQUIRE(round.targets.size() == 1);
  CHECK(round.targets[0].info.endpoint == "127.0.0.5:993");
  CHECK(round.targets[0].spec.server_name == "imap.example.test");
  CHECK(round.targets[0].spec.dane->tlsa.rules == dane::DaneRules::service);
  CHECK(round.targets[0].spec.dane->tlsa.records.size() == 1);
  CHECK(dns.asked.count({"imap.example.test", dns::RecordType::mx}) == 0);
  // A host probed as an MX (protocol smtp) keeps an SMTP sender's rules.
  host.spec.protocol = config::Protocol::smtp;
  const auto mx = run(domains::run_round(dns.lookup(), host, dns_settings(), {}, memory));
  CHECK(mx.targets[0].spec.dane->tlsa.rules == dane::DaneRules::smtp);
}

TEST_CASE("same_job: reload equality over every field of the job") {
  const auto a = job("example.test");
  CHECK(domains::same_job(a, a));
  auto b = a;
  b.domain.labels["team"] = "mail";
  CHECK_FALSE(domains::same_job(a, b));
  b = a;
  b.port = 2525;
  CHECK_FALSE(domains::same_job(a, b));
  b = a;
  b.interval = 30s;
  CHECK_FALSE(domains::same_job(a, b));
  b = a;
  b.spec.ehlo_name = "probe.example.test";
  CHECK_FALSE(domains::same_job(a, b));
  b = a;
  b.series.phase_durations = true;
  CHECK_FALSE(domains::same_job(a, b));
  CHECK(domains::domain_key(a.domain) == "example.test|m");
}
