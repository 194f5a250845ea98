#include "starttls_exporter/runtime/shard.hpp"

#include <unistd.h>

#include <charconv>
#include <climits>
#include <stdexcept>

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::runtime {
namespace {

/// SplitMix64's finalizer: a bijection that spreads every input bit over the whole output.
std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// A whole decimal number in [0, UINT32_MAX]; nothing else (no sign, no spaces, not empty).
bool parse_number(std::string_view text, std::uint32_t& out) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

std::uint32_t ordinal_of(std::string_view hostname) {
  const auto dash = hostname.rfind('-');
  std::uint32_t ordinal = 0;
  if (dash == std::string_view::npos || !parse_number(hostname.substr(dash + 1), ordinal)) {
    throw std::invalid_argument(
        "\"auto\" needs a host name ending in \"-ORDINAL\" (as in a "
        "Kubernetes StatefulSet), got \"" +
        std::string(hostname) + "\"");
  }
  return ordinal;
}

}  // namespace

Shard parse_shard(std::string_view text, std::string_view hostname) {
  const auto slash = text.find('/');
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (slash == std::string_view::npos) {
    throw std::invalid_argument("want INDEX/COUNT or auto/COUNT, got " + quoted);
  }
  Shard shard;
  if (!parse_number(text.substr(slash + 1), shard.count) || shard.count < 1 ||
      shard.count > kMaxShards) {
    throw std::invalid_argument("COUNT must be a whole number from 1 to " +
                                std::to_string(kMaxShards) + ", got " + quoted);
  }
  const std::string_view index = text.substr(0, slash);
  if (index == "auto") {
    shard.index = ordinal_of(hostname);
  } else if (!parse_number(index, shard.index)) {
    throw std::invalid_argument("INDEX must be a whole number or \"auto\", got " + quoted);
  }
  if (shard.index >= shard.count) {
    throw std::invalid_argument("INDEX " + std::to_string(shard.index) + " must be below COUNT " +
                                std::to_string(shard.count));
  }
  return shard;
}

std::string local_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

std::uint32_t shard_of(std::string_view key, std::uint32_t count) noexcept {
  const std::uint64_t key_hash = text::fnv1a64(key);
  std::uint32_t best = 0;
  std::uint64_t best_weight = 0;
  for (std::uint32_t shard = 0; shard < count; ++shard) {
    // Golden-ratio steps keep the per-shard inputs far apart before mixing.
    const std::uint64_t weight = mix64(key_hash ^ mix64((shard + 1) * 0x9e3779b97f4a7c15ULL));
    if (shard == 0 || weight > best_weight) {
      best = shard;
      best_weight = weight;
    }
  }
  return best;
}

std::string to_string(const Shard& shard) {
  return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

}  // namespace starttls_exporter::runtime
