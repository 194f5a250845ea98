#pragma once
/// \file
/// Sharding: which targets this replica probes when several replicas read the same config.
///
/// Rendezvous (highest random weight) hashing on Target::key(): for each shard the target gets
/// a pseudo-random weight, and the shard with the highest weight owns it. Every replica
/// computes the same answer from the key alone, so replicas need not talk to each other; going
/// from N to N+1 shards moves only the targets the new shard wins (about 1/(N+1) of them).
///
/// The weights depend only on the key bytes and the shard number (FNV-1a 64 and the SplitMix64
/// finalizer, both fixed here), never on std::hash, so replicas built by different compilers or
/// versions agree during a rolling upgrade.

#include <cstdint>
#include <string>
#include <string_view>

namespace starttls_exporter::runtime {

/// This replica's part of the targets: shard `index` of `count` (0 <= index < count).
/// The default, 0/1, owns every target.
struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;

  friend bool operator==(const Shard&, const Shard&) = default;
};

/// At most this many shards: far more than any deployment needs; bounds the per-target work.
inline constexpr std::uint32_t kMaxShards = 1024;

/// Parses "INDEX/COUNT" or "auto/COUNT". With "auto", INDEX is the trailing ordinal of
/// `hostname` ("starttls-exporter-2" -> 2), as a Kubernetes StatefulSet names its pods.
/// Throws std::invalid_argument with a one-line reason: malformed text, COUNT outside
/// 1..kMaxShards, INDEX >= COUNT, or "auto" with a host name that does not end in "-DIGITS".
Shard parse_shard(std::string_view text, std::string_view hostname);

/// This machine's host name (gethostname); empty when it cannot be read.
std::string local_hostname();

/// The shard in [0, count) that owns `key`; count 0 is treated as 1. Pure function.
std::uint32_t shard_of(std::string_view key, std::uint32_t count) noexcept;

/// True when `shard` owns `key`.
inline bool owns(const Shard& shard, std::string_view key) noexcept {
  return shard_of(key, shard.count) == shard.index;
}

/// "2/3", as logs and --help show it.
std::string to_string(const Shard& shard);

}  // namespace starttls_exporter::runtime
