#include "basic_auth.hpp"

#include "starttls_exporter/core/text.hpp"

#include <crypt.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

namespace starttls_exporter::http::detail {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

// A fixed bcrypt salt for the dummy hash; its value does not matter, only that it is valid.
constexpr std::string_view kDummySalt = "abcdefghijklmnopqrstuu";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// Standard base64 with padding; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::array<int, 4> v{};
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0 || (v[j] = base64_value(c)) < 0) return std::nullopt;
    }
    const unsigned bits =
        (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out += static_cast<char>((bits >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((bits >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(bits & 0xff);
  }
  return out;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_basic_credentials(
    std::string_view authorization) {
  constexpr std::string_view kScheme = "basic";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  const auto decoded = base64_decode(token);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string bcrypt(const std::string& password, const std::string& setting) {
  // crypt_data is ~32 KiB: on the heap, one per call, so concurrent checks share nothing.
  auto data = std::make_unique<crypt_data>();
  // crypt_rn, not crypt_r: libasan intercepts crypt_r but cannot resolve libxcrypt's versioned
  // symbol, so sanitizer builds would call a null pointer. crypt_rn returns null on failure.
  const char* hash =
      crypt_rn(password.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof *data));
  // Never equal to a stored hash on failure: null, or "*0"/"*1" from older libxcrypt.
  if (hash == nullptr || hash[0] == '*') return {};
  return hash;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users, AuthLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  slots_ = std::make_unique<Slots>(limits_);
  std::string cost = "04";
  for (auto& [name, hash] : users) {
    if (hash.size() > 6 && hash.substr(4, 2) > cost) cost = hash.substr(4, 2);
    users_.emplace(name, std::move(hash));
  }
  if (!users_.empty()) {
    dummy_hash_ = bcrypt("dummy password", "$2b$" + cost + "$" + std::string(kDummySalt));
  }
}

bool BasicAuth::Slots::acquire(bool may_wait) {
  std::unique_lock lock(mutex_);
  const int slots = std::max(1, limits_.concurrent_checks);
  if (running_ < slots) {
    ++running_;
    return true;
  }
  if (!may_wait || waiting_ >= limits_.max_waiting) return false;
  ++waiting_;
  const bool freed =
      freed_.wait_for(lock, limits_.clean_client_wait, [&] { return running_ < slots; });
  --waiting_;
  if (!freed) return false;
  ++running_;
  return true;
}

void BasicAuth::Slots::release() {
  {
    const std::lock_guard lock(mutex_);
    --running_;
  }
  freed_.notify_one();
}

bool BasicAuth::matches(const std::string& name, const std::string& password) const {
  const auto user = users_.find(name);
  const std::string& stored = user == users_.end() ? dummy_hash_ : user->second;
  ++bcrypt_runs_;
  const bool match = constant_time_equal(bcrypt(password, stored), stored);
  return match && user != users_.end() && !stored.empty();
}

BasicAuth::Standing BasicAuth::standing(const std::string& client, TimePoint now,
                                        std::chrono::seconds& retry_after) const {
  const auto it = clients_.find(client);
  if (it == clients_.end()) {
    return clients_.size() < limits_.tracked_clients ? Standing::clean : Standing::failed;
  }
  if (now < it->second.blocked_until) {
    retry_after = std::max(std::chrono::seconds(1),
                           std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now));
    return Standing::blocked;
  }
  if (now - it->second.last_failure > limits_.failure_memory) {
    clients_.erase(it);
    return Standing::clean;
  }
  return Standing::failed;
}

std::string BasicAuth::attempt_key(const std::string& client, const tls::Sha256& credentials) {
  // The address, a NUL (in no address), and the credentials' hash (never the password).
  return client + '\0' + text::to_hex(credentials);
}

void BasicAuth::forget_failures(const std::string& client) const {
  const std::string from = client + '\0';
  const std::string to = client + '\1';
  clients_.erase(clients_.lower_bound(from), clients_.lower_bound(to));
}

void BasicAuth::remember_success(const tls::Sha256& key, const std::string& client,
                                 TimePoint now) const {
  forget_failures(client);
  std::erase_if(cache_, [now](const auto& entry) { return entry.second <= now; });
  if (cache_.size() >= limits_.cache_entries && !cache_.empty()) {
    cache_.erase(std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second < b.second;
    }));
  }
  if (limits_.cache_entries > 0) cache_[key] = now + limits_.cache_lifetime;
}

void BasicAuth::remember_busy(const std::string& attempt, TimePoint now) const {
  if (!clients_.contains(attempt) && clients_.size() >= limits_.tracked_clients) return;
  clients_[attempt].last_failure = now;  // Standing::failed from now on, without a penalty
}

void BasicAuth::remember_failure(const std::string& client, TimePoint now) const {
  if (!clients_.contains(client) && clients_.size() >= limits_.tracked_clients) {
    std::erase_if(clients_, [&](const auto& entry) {
      return now - entry.second.last_failure > limits_.failure_memory;
    });
    if (clients_.size() >= limits_.tracked_clients) return;  // counted as failed anyway
  }
  ClientRecord& record = clients_[client];
  record.failures = std::min(record.failures + 1, 30);
  auto penalty = limits_.first_penalty * (1LL << std::min(record.failures - 1, 20));
  if (penalty > limits_.max_penalty) penalty = limits_.max_penalty;
  record.blocked_until = now + penalty;
  record.last_failure = now;
}

AuthResult BasicAuth::check(std::string_view authorization, const std::string& client) const {
  const auto credentials = parse_basic_credentials(authorization);
  if (!credentials) return {AuthDecision::denied};
  const auto& [name, password] = *credentials;
  const tls::Sha256 key = tls::sha256(name + ':' + password);
  // Penalties are per client and credentials: a typo does not hold up the right password from
  // the same address (a proxy, a NAT, a Kubernetes Service), and a client repeating wrong
  // credentials is answered 429 without a bcrypt run.
  const std::string attempt = attempt_key(client, key);
  Standing attempt_standing = Standing::clean;
  {
    const std::lock_guard lock(mutex_);
    const TimePoint now = clock_();
    const auto cached = cache_.find(key);
    if (cached != cache_.end() && now < cached->second) {
      forget_failures(client);  // right credentials end the client's failure history
      return {AuthDecision::allowed};
    }
    std::chrono::seconds retry_after{0};
    attempt_standing = standing(attempt, now, retry_after);
    if (attempt_standing == Standing::blocked) return {AuthDecision::throttled, retry_after};
  }
  // Credentials new from this client wait their turn for a bcrypt slot; those that failed or
  // found no slot before take a free one or are answered 429 at once (so a flood cannot keep
  // the waiting places full). Finding no slot is load, not a failure: no penalty.
  if (!slots_->acquire(attempt_standing == Standing::clean)) {
    const std::lock_guard lock(mutex_);
    remember_busy(attempt, clock_());
    return {AuthDecision::throttled, std::chrono::seconds(1)};
  }
  // Releases the slot when the check ends, however it ends.
  struct SlotHeld {
    Slots& slots;
    ~SlotHeld() { slots.release(); }
  };
  const bool match = [&] {
    const SlotHeld held{*slots_};
    return matches(name, password);
  }();
  const std::lock_guard lock(mutex_);
  if (match) {
    remember_success(key, client, clock_());
    return {AuthDecision::allowed};
  }
  remember_failure(attempt, clock_());
  return {AuthDecision::denied};
}

}  // namespace starttls_exporter::http::detail
