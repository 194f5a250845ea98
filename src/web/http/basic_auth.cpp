#include "basic_auth.hpp"

#include <crypt.h>

#include <array>
#include <cctype>
#include <memory>

namespace starttls_exporter::http::detail {
namespace {

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

BasicAuth::BasicAuth(std::map<std::string, std::string> users) {
  std::string cost = "04";
  for (auto& [name, hash] : users) {
    if (hash.size() > 6 && hash.substr(4, 2) > cost) cost = hash.substr(4, 2);
    users_.emplace(name, std::move(hash));
  }
  if (!users_.empty()) {
    dummy_hash_ = bcrypt("dummy password", "$2b$" + cost + "$" + std::string(kDummySalt));
  }
}

bool BasicAuth::check(std::string_view authorization) const {
  const auto credentials = parse_basic_credentials(authorization);
  if (!credentials) return false;
  const auto& [name, password] = *credentials;
  const auto user = users_.find(name);
  const std::string& stored = user == users_.end() ? dummy_hash_ : user->second;
  const bool match = constant_time_equal(bcrypt(password, stored), stored);
  return match && user != users_.end() && !stored.empty();
}

}  // namespace starttls_exporter::http::detail
