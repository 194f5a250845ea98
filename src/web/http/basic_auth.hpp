#pragma once
/// \file
/// HTTP basic authentication against bcrypt hashes, checked with the system's crypt(3)
/// (libxcrypt: $2a$, $2b$, $2y$), made cheap for the right credentials and bounded for wrong
/// ones. Private to src/web/http.
///
/// Thread-safety: check() may run on many threads at once (the cache and the per-client
/// records are behind one mutex, held only for lookups, never during a bcrypt run).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "starttls_exporter/lib/gnutls/digest.hpp"

namespace starttls_exporter::http::detail {

/// The bounds that keep bcrypt from becoming a CPU attack on scrapes. Defaults are documented
/// in README (Web config).
struct AuthLimits {
  /// A successful check is remembered this long, keyed by the SHA-256 of the presented name
  /// and password (never the password itself): a scraper pays one bcrypt run per lifetime.
  std::chrono::seconds cache_lifetime{60};
  std::size_t cache_entries = 256;
  /// bcrypt runs at once, whatever the number of requests: at most this many cores.
  int concurrent_checks = 1;
  /// How long a check of credentials new from its client waits for a free bcrypt slot, and
  /// how many may wait at once; credentials that failed, or found no slot, before never wait
  /// (they take a free slot or get 429), so a flood cannot keep the waiting places full. A
  /// check that finds no slot is answered 429 without a penalty (the port is under load).
  std::chrono::milliseconds clean_client_wait{1000};
  int max_waiting = 4;
  /// After a failed check the same credentials from the same client are answered 429,
  /// without a bcrypt run, for a penalty that starts here and doubles with each further
  /// failure of them, up to max_penalty. Other credentials from that client are checked (a
  /// typo never holds up the right password), and a success ends every penalty of the client.
  std::chrono::milliseconds first_penalty{1000};
  std::chrono::milliseconds max_penalty{60'000};
  /// A client's failures are forgotten after this long without one.
  std::chrono::minutes failure_memory{10};
  /// Client and credential pairs with failures remembered; beyond this, new pairs count as
  /// failed ones (they do not wait for a slot).
  std::size_t tracked_clients = 10'000;
};

enum class AuthDecision {
  allowed,
  denied,     ///< 401: no header, malformed, unknown user or wrong password (one answer)
  throttled,  ///< 429: these credentials from this client are in their penalty, or no slot
};

struct AuthResult {
  AuthDecision decision = AuthDecision::denied;
  std::chrono::seconds retry_after{0};  ///< throttled: when to try again (at least 1 s)
};

class BasicAuth {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// `users`: name -> bcrypt hash (validated by the web config loader). Computes a dummy hash
  /// of the users' highest cost, used for unknown users. `clock` is for tests.
  explicit BasicAuth(std::map<std::string, std::string> users, AuthLimits limits = {},
                     Clock clock = {});

  /// Whether the Authorization header value `authorization` of a request from `client` (an
  /// IP address) carries a user's name and password. Unknown users cost one bcrypt run like
  /// known ones and hashes are compared in constant time, so neither timing nor the answer
  /// tells whether a user exists; a cached success exists only for right credentials.
  AuthResult check(std::string_view authorization, const std::string& client) const;

  /// bcrypt runs so far (tests: a cached success costs none).
  std::uint64_t bcrypt_runs() const noexcept { return bcrypt_runs_.load(); }

 private:
  struct ClientRecord {
    int failures = 0;
    std::chrono::steady_clock::time_point blocked_until{};
    std::chrono::steady_clock::time_point last_failure{};
  };
  enum class Standing { clean, failed, blocked };

  bool matches(const std::string& name, const std::string& password) const;  ///< one bcrypt
  /// The key of a client's attempt with some credentials in clients_: "ADDRESS\0HEX".
  static std::string attempt_key(const std::string& client, const tls::Sha256& credentials);
  void forget_failures(const std::string& client) const;  ///< mutex held
  Standing standing(const std::string& client, std::chrono::steady_clock::time_point now,
                    std::chrono::seconds& retry_after) const;  ///< mutex held
  void remember_success(const tls::Sha256& key, const std::string& client,
                        std::chrono::steady_clock::time_point now) const;  ///< mutex held
  /// These credentials from this client found no bcrypt slot: they no longer wait for one.
  void remember_busy(const std::string& attempt,
                     std::chrono::steady_clock::time_point now) const;  ///< mutex held
  void remember_failure(const std::string& client,
                        std::chrono::steady_clock::time_point now) const;  ///< mutex held

  std::map<std::string, std::string, std::less<>> users_;
  std::string dummy_hash_;
  AuthLimits limits_;
  Clock clock_;
  mutable std::mutex mutex_;
  mutable std::map<tls::Sha256, std::chrono::steady_clock::time_point> cache_;  ///< key -> expiry
  mutable std::map<std::string, ClientRecord, std::less<>> clients_;
  /// The bcrypt slots: running and waiting checks, under their own mutex.
  class Slots {
   public:
    explicit Slots(const AuthLimits& limits) : limits_(limits) {}
    bool acquire(bool may_wait);  ///< false: no slot (now, or within clean_client_wait)
    void release();

   private:
    const AuthLimits& limits_;
    std::mutex mutex_;
    std::condition_variable freed_;
    int running_ = 0;
    int waiting_ = 0;
  };
  mutable std::unique_ptr<Slots> slots_;
  mutable std::atomic<std::uint64_t> bcrypt_runs_{0};
};

/// "user:password" from "Basic base64(user:password)"; nullopt when malformed. The scheme name
/// is case-insensitive (RFC 9110); the decoded text must contain a ':'.
std::optional<std::pair<std::string, std::string>> parse_basic_credentials(
    std::string_view authorization);

/// The bcrypt hash of `password` under `setting` (a hash or a salt string), or "" on error.
std::string bcrypt(const std::string& password, const std::string& setting);

/// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace starttls_exporter::http::detail
