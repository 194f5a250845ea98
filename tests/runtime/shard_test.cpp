// Sharding: shard parsing, and the rendezvous hash's ownership, balance and stability.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"
#include "starttls_exporter/runtime/shard.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::runtime;

namespace {

/// `n` distinct keys as config::Target::key() makes them: IPv4 and IPv6 endpoints, two modules.
std::vector<std::string> target_keys(std::size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    config::Target target;
    target.module = i % 3 == 0 ? "internal" : "smtp_starttls";
    target.port = i % 5 == 0 ? 587 : 25;
    if (i % 2 == 0) {
      target.address = "10." + std::to_string(i / 65536 % 256) + "." +
                       std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
    } else {
      target.address = "2001:db8::" + std::to_string(i);
    }
    keys.push_back(target.key());
  }
  std::sort(keys.begin(), keys.end());
  REQUIRE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  return keys;
}

}  // namespace

TEST_CASE("parse_shard accepts INDEX/COUNT and auto/COUNT") {
  struct Case {
    const char* text;
    const char* hostname;
    Shard want;
  };
  const Case cases[] = {
      {"0/1", "", {0, 1}},
      {"2/3", "", {2, 3}},
      {"15/16", "", {15, 16}},
      {"0/1024", "", {0, 1024}},
      {"auto/3", "starttls-exporter-2", {2, 3}},
      {"auto/3", "starttls-exporter-0", {0, 3}},
      {"auto/12", "web-7-11", {11, 12}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CAPTURE(c.hostname);
    CHECK(parse_shard(c.text, c.hostname) == c.want);
  }
}

TEST_CASE("parse_shard rejects malformed or impossible shards") {
  struct Case {
    const char* text;
    const char* hostname;
    const char* message_part;
  };
  const Case cases[] = {
      {"3", "", "want INDEX/COUNT"},
      {"3/3", "", "INDEX 3 must be below COUNT 3"},
      {"0/0", "", "COUNT must be a whole number from 1 to 1024"},
      {"0/1025", "", "from 1 to 1024"},
      {"0/", "", "COUNT"},
      {"/3", "", "INDEX must be a whole number"},
      {"-1/3", "", "INDEX must be a whole number"},
      {" 1/3", "", "INDEX must be a whole number"},
      {"1/3 ", "", "COUNT"},
      {"x/3", "", "INDEX must be a whole number or \"auto\""},
      {"auto/3", "exporter", "host name ending in \"-ORDINAL\""},
      {"auto/3", "exporter-", "host name ending in \"-ORDINAL\""},
      {"auto/3", "exporter-a1", "host name ending in \"-ORDINAL\""},
      {"auto/3", "", "host name ending in \"-ORDINAL\""},
      {"auto/3", "starttls-exporter-3", "INDEX 3 must be below COUNT 3"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CAPTURE(c.hostname);
    try {
      parse_shard(c.text, c.hostname);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(c.message_part) != std::string::npos);
    }
  }
}

TEST_CASE("shard_of is deterministic and fixed across builds") {
  // Replicas of different versions must agree during a rolling upgrade: these values are part
  // of the contract. Changing the hash reshuffles every deployment's targets.
  CHECK(shard_of("192.0.2.25:25|smtp_starttls", 1) == 0);
  CHECK(shard_of("192.0.2.25:25|smtp_starttls", 0) == 0);
  const auto keys = target_keys(64);
  for (const auto& key : keys) CHECK(shard_of(key, 7) == shard_of(key, 7));
  std::vector<std::uint32_t> got;
  for (const char* key : {"192.0.2.25:25|smtp_starttls", "[2001:db8::25]:25|smtp_starttls",
                          "198.51.100.7:587|internal"}) {
    got.push_back(shard_of(key, 16));
  }
  CHECK(got == std::vector<std::uint32_t>{14, 15, 15});
}

TEST_CASE("every target lands on exactly one shard") {
  const auto keys = target_keys(2000);
  for (std::uint32_t count = 1; count <= 16; ++count) {
    for (const auto& key : keys) {
      int owners = 0;
      for (std::uint32_t index = 0; index < count; ++index) owners += owns({index, count}, key);
      CAPTURE(key);
      REQUIRE(owners == 1);
    }
  }
}

TEST_CASE("10,000 targets spread within 10 % of the mean over 2 to 16 shards") {
  const auto keys = target_keys(10000);
  for (std::uint32_t count = 2; count <= 16; ++count) {
    std::vector<std::size_t> per_shard(count);
    for (const auto& key : keys) ++per_shard[shard_of(key, count)];
    const double mean = static_cast<double>(keys.size()) / count;
    for (std::uint32_t index = 0; index < count; ++index) {
      CAPTURE(count);
      CAPTURE(index);
      CHECK(per_shard[index] >= mean * 0.9);
      CHECK(per_shard[index] <= mean * 1.1);
    }
  }
}

TEST_CASE("going from N to N+1 shards moves only what the new shard takes, about 1/(N+1)") {
  const auto keys = target_keys(10000);
  for (std::uint32_t count = 1; count <= 16; ++count) {
    std::size_t moved = 0;
    for (const auto& key : keys) {
      const auto before = shard_of(key, count);
      const auto after = shard_of(key, count + 1);
      if (before == after) continue;
      ++moved;
      CAPTURE(key);
      REQUIRE(after == count);  // a moved target only ever goes to the new shard
    }
    const double share = static_cast<double>(moved) / keys.size();
    CAPTURE(count);
    CHECK(share <= 1.0 / (count + 1) * 1.1);
    CHECK(share >= 1.0 / (count + 1) * 0.9);
  }
}

TEST_CASE("prepare keeps only the shard's targets, and the shards partition them") {
  std::string yaml = "modules:\n  m: {}\ntargets:\n";
  for (int i = 1; i <= 60; ++i)
    yaml += "  - {address: 192.0.2." + std::to_string(i) + ", module: m}\n";
  const config::Config config = config::parse_config(yaml, "shard.yml");
  TrustCache trust;
  REQUIRE(prepare(config, trust).targets.size() == 60);
  std::vector<std::string> seen;
  for (std::uint32_t index = 0; index < 3; ++index) {
    const auto targets = prepare(config, trust, {index, 3}).targets;
    CHECK(targets.size() > 10);
    for (const auto& t : targets) {
      CHECK(shard_of(t->info.key, 3) == index);
      seen.push_back(t->info.key);
    }
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.size() == 60);
}
