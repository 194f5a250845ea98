// The chain verdict cache (src/tls_client/chain_cache.cpp): its key, its expiry at the first
// validity edge (a test clock, no sleeping), its bounds, and, through real handshakes, that a
// hit gives the facts and verdict a miss gives, that a changed chain, name or trust store is
// judged afresh.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "loopback.hpp"
#include "starttls_exporter/tls_client/chain_cache.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;
using tls::ChainCache;
using tls::ChainVerdict;

namespace {

const SystemTime kNow = SystemTime(std::chrono::seconds(1'800'000'000));

std::shared_ptr<const ChainVerdict> verdict_valid(SystemTime not_before, SystemTime not_after) {
  auto v = std::make_shared<ChainVerdict>();
  CertificateFacts leaf;
  leaf.not_before = not_before;
  leaf.not_after = not_after;
  v->chain.push_back(leaf);
  v->verify.verified = true;
  return v;
}

tls::Sha256 key_of(const std::string& der, std::uint64_t trust = 1,
                   const std::string& name = "mx.test") {
  const std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(der.data()),
                                             der.size());
  const std::vector<std::span<const unsigned char>> chain{bytes};
  return tls::chain_key(trust, name, chain);
}

/// The parts of a run the cache supplies, as text, to compare a hit with a miss.
std::string judged(const ClientRun& run) {
  std::string out =
      std::to_string(run.facts.chain_complete) + "|" + std::to_string(run.verdict.verified) + "|";
  for (const auto reason : run.verdict.reasons) out += std::string(to_string(reason)) + ",";
  for (const auto& c : run.facts.chain) {
    out += "|" + c.subject + ";" + c.issuer + ";" + c.serial_hex + ";" + c.sha256_hex + ";" +
           std::to_string(c.not_after.time_since_epoch().count()) + ";" + c.public_key_algorithm +
           ";" + c.signature_algorithm;
    for (const auto& n : c.dns_names) out += ";" + n;
  }
  return out;
}

ClientRun probe(const IssuedCert& cert, const ClientOptions& options) {
  LoopbackServer server(serve_tls(cert));
  return run_client(server.port(), options);
}

}  // namespace

TEST_CASE("the key covers the trust store, the name and every byte of the chain") {
  CHECK(key_of("abc") == key_of("abc"));
  CHECK(key_of("abc") != key_of("abd"));
  CHECK(key_of("abc", 1) != key_of("abc", 2));
  CHECK(key_of("abc", 1, "mx.test") != key_of("abc", 1, "other.test"));
  // Lengths are part of the encoding: a name cannot shift bytes into the chain.
  CHECK(key_of("cabc", 1, "mx.test") != key_of("abc", 1, "mx.testc"));
}

TEST_CASE("a verdict lasts until the first validity edge after now, at most max_age") {
  const CertificateChain none;
  CHECK(tls::verdict_valid_until(none, kNow, 3600s) == kNow + 3600s);
  CHECK(tls::verdict_valid_until(verdict_valid(kNow - 24h, kNow + 10min)->chain, kNow, 3600s) ==
        kNow + 10min);
  // A certificate not valid yet: its notBefore is the edge where the verdict changes.
  CHECK(tls::verdict_valid_until(verdict_valid(kNow + 5min, kNow + 48h)->chain, kNow, 3600s) ==
        kNow + 5min);
  // An expired one has no edge ahead: only max_age.
  CHECK(tls::verdict_valid_until(verdict_valid(kNow - 48h, kNow - 24h)->chain, kNow, 3600s) ==
        kNow + 3600s);
}

TEST_CASE("an entry expires at its certificate's notAfter and after max_age (test clock)") {
  ChainCache cache({.max_entries = 8, .max_bytes = 1 << 20, .max_age = 3600s});
  const auto soon = key_of("expires soon");
  const auto later = key_of("expires later");
  cache.insert(soon, verdict_valid(kNow - 24h, kNow + 10min), kNow);
  cache.insert(later, verdict_valid(kNow - 24h, kNow + 48h), kNow);
  CHECK(cache.find(soon, kNow + 10min - 1s) != nullptr);
  CHECK(cache.find(soon, kNow + 10min) == nullptr);  // the certificate expired: judged again
  CHECK(cache.find(soon, kNow) == nullptr);          // and gone
  CHECK(cache.find(later, kNow + 59min) != nullptr);
  CHECK(cache.find(later, kNow + 60min) == nullptr);  // max_age
  CHECK(cache.stats().entries == 0);
  CHECK(cache.stats().hits == 2);
  CHECK(cache.stats().misses == 3);
}

TEST_CASE("the cache is bounded in entries and bytes, least recently used out first") {
  ChainCache cache({.max_entries = 2, .max_bytes = 1 << 20, .max_age = 3600s});
  const auto a = key_of("a"), b = key_of("b"), c = key_of("c");
  cache.insert(a, verdict_valid(kNow - 1h, kNow + 48h), kNow);
  cache.insert(b, verdict_valid(kNow - 1h, kNow + 48h), kNow);
  CHECK(cache.find(a, kNow) != nullptr);  // a is now the most recently used
  cache.insert(c, verdict_valid(kNow - 1h, kNow + 48h), kNow);
  CHECK(cache.find(b, kNow) == nullptr);
  CHECK(cache.find(a, kNow) != nullptr);
  CHECK(cache.find(c, kNow) != nullptr);
  ChainCache tiny({.max_entries = 100, .max_bytes = 1, .max_age = 3600s});
  tiny.insert(a, verdict_valid(kNow - 1h, kNow + 48h), kNow);
  CHECK(tiny.stats().entries == 0);
}

TEST_CASE("a second handshake with the same chain is a hit with the same facts and verdict") {
  const TestCa ca("Cache Root CA");
  const auto cert = ca.issue({});
  ChainCache cache(ChainCache::Limits{});
  ClientOptions options(trust_of(ca), "mx.test");
  options.chain_cache = &cache;
  const auto before = cache.stats();
  const ClientRun miss = probe(cert, options);
  const auto middle = cache.stats();
  const ClientRun hit = probe(cert, options);
  const auto after = cache.stats();
  REQUIRE(miss.outcome.completed);
  REQUIRE(hit.outcome.completed);
  CHECK(middle.misses == before.misses + 1);
  CHECK(after.hits == middle.hits + 1);
  CHECK(miss.verdict.verified);
  CHECK(judged(hit) == judged(miss));
  // One certificates object for both results (and the cache): the store keeps one copy.
  CHECK(hit.facts.chain.shares_with(miss.facts.chain));
  CHECK(hit.facts.version == miss.facts.version);
  CHECK(hit.facts.cipher == miss.facts.cipher);

  SUBCASE("another chain is judged afresh and seen at once") {
    CertSpec expired;
    expired.not_before = std::chrono::system_clock::now() - 48h;
    expired.not_after = std::chrono::system_clock::now() - 24h;
    const auto other = ca.issue(expired);
    const ClientRun changed = probe(other, options);
    REQUIRE(changed.outcome.completed);
    CHECK(changed.facts.chain[0].sha256_hex == sha256_hex_of_pem(other.cert_pem));
    CHECK_FALSE(changed.verdict.verified);
    CHECK(cache.stats().misses == after.misses + 1);
  }
  SUBCASE("another name is judged afresh") {
    ClientOptions renamed_options = options;
    renamed_options.server_name = "other.test";
    const ClientRun renamed = probe(cert, renamed_options);
    CHECK_FALSE(renamed.verdict.verified);
    CHECK(cache.stats().misses == after.misses + 1);
  }
  SUBCASE("a new trust store (a changed CA file, reloaded) is judged afresh") {
    const TestCa stranger("Stranger CA");
    ClientOptions untrusted_options = options;
    untrusted_options.trust = trust_of(stranger);
    const ClientRun untrusted = probe(cert, untrusted_options);
    CHECK_FALSE(untrusted.verdict.verified);
    CHECK(cache.stats().misses == after.misses + 1);
    ClientOptions new_store_options = options;
    new_store_options.trust = trust_of(ca);
    const ClientRun same_ca_new_store = probe(cert, new_store_options);
    CHECK(same_ca_new_store.verdict.verified);
    CHECK(cache.stats().misses == after.misses + 2);
  }
}

TEST_CASE("without a cache every handshake verifies its chain afresh, and caches are separate") {
  const TestCa ca("Uncached Root CA");
  const auto cert = ca.issue({});
  ChainCache mine(ChainCache::Limits{});
  ChainCache theirs(ChainCache::Limits{});
  ClientOptions options(trust_of(ca), "mx.test");
  CHECK(probe(cert, options).verdict.verified);  // no cache: nothing to count
  options.chain_cache = &mine;
  CHECK(probe(cert, options).verdict.verified);
  CHECK(probe(cert, options).verdict.verified);
  CHECK(mine.stats().misses == 1);
  CHECK(mine.stats().hits == 1);
  CHECK(theirs.stats().misses + theirs.stats().hits == 0);  // another exporter's cache
}
