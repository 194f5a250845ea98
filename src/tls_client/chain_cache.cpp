#include "starttls_exporter/tls_client/chain_cache.hpp"

#include "starttls_exporter/tls_client/tls_client.hpp"

#include <algorithm>
#include <string>

namespace starttls_exporter::tls {
namespace {

void append_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

/// A rough size of what an entry holds, for the byte bound.
std::size_t estimated_bytes(const ChainVerdict& v) {
  std::size_t bytes = sizeof(ChainVerdict) + 128;
  for (const CertificateFacts& c : v.chain) {
    bytes += sizeof c + c.subject.size() + c.issuer.size() + c.serial_hex.size() +
             c.sha256_hex.size() + c.public_key_algorithm.size() + c.signature_algorithm.size();
    for (const auto& name : c.dns_names) bytes += sizeof name + name.size();
  }
  return bytes;
}

}  // namespace

Sha256 chain_key(std::uint64_t trust_id, std::string_view server_name,
                 std::span<const std::span<const unsigned char>> certificates) {
  std::string material;
  std::size_t size = 16 + server_name.size();
  for (const auto& der : certificates) size += 8 + der.size();
  material.reserve(size);
  append_u64(material, trust_id);
  append_u64(material, server_name.size());
  material += server_name;
  for (const auto& der : certificates) {
    append_u64(material, der.size());
    material.append(reinterpret_cast<const char*>(der.data()), der.size());
  }
  return sha256(material);
}

SystemTime verdict_valid_until(const CertificateChain& chain, SystemTime now,
                               std::chrono::seconds max_age) {
  SystemTime until = now + max_age;
  for (const CertificateFacts& c : chain) {
    for (const SystemTime edge : {c.not_before, c.not_after}) {
      if (edge > now) until = std::min(until, edge);
    }
  }
  return until;
}

ChainCache::ChainCache(Limits limits) : limits_(limits) {}

std::shared_ptr<const ChainVerdict> ChainCache::find(const Sha256& key, SystemTime now) {
  const std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  if (now >= it->second->valid_until || now + limits_.max_age < it->second->valid_until) {
    erase(it->second);  // expired, or the clock went back by more than max_age
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++hits_;
  return it->second->verdict;
}

void ChainCache::insert(const Sha256& key, std::shared_ptr<const ChainVerdict> verdict,
                        SystemTime now) {
  if (!verdict || limits_.max_entries == 0) return;
  const SystemTime until = verdict_valid_until(verdict->chain, now, limits_.max_age);
  if (until <= now) return;
  const std::size_t bytes = estimated_bytes(*verdict);
  const std::lock_guard lock(mutex_);
  if (const auto old = index_.find(key); old != index_.end()) erase(old->second);
  lru_.push_front(Entry{key, std::move(verdict), until, bytes});
  index_.emplace(key, lru_.begin());
  bytes_ += bytes;
  while (!lru_.empty() && (lru_.size() > limits_.max_entries || bytes_ > limits_.max_bytes)) {
    erase(std::prev(lru_.end()));
  }
}

ChainCache::Stats ChainCache::stats() const {
  const std::lock_guard lock(mutex_);
  return {hits_, misses_, lru_.size(), bytes_};
}

void ChainCache::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

}  // namespace starttls_exporter::tls
