#pragma once
/// \file
/// HTTP basic authentication against bcrypt hashes, checked with the system's crypt(3)
/// (libxcrypt: $2a$, $2b$, $2y$). Private to src/http.
///
/// Thread-safety: immutable after construction; check() may run on many threads at once.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace starttls_exporter::http::detail {

class BasicAuth {
 public:
  /// `users`: name -> bcrypt hash (validated by the web config loader). An empty map disables
  /// authentication. Computes a dummy hash of the users' highest cost, used for unknown users.
  explicit BasicAuth(std::map<std::string, std::string> users);

  bool enabled() const noexcept { return !users_.empty(); }

  /// True when the Authorization header value carries the name and password of a user.
  /// Unknown users cost one bcrypt run like known ones, and hashes are compared in constant
  /// time, so neither timing nor the answer tells whether a user exists.
  bool check(std::string_view authorization) const;

 private:
  std::map<std::string, std::string, std::less<>> users_;
  std::string dummy_hash_;
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
