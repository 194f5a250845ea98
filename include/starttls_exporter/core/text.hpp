#pragma once
/// \file
/// Byte-level text rules shared by every area: escaping untrusted bytes for humans and logs,
/// hex, UTF-8 well-formedness and a stable hash. The one implementation of each; pure
/// functions, thread-safe, nothing throws except std::bad_alloc.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace starttls_exporter::text {

/// How escape() shows a byte. Every rule set escapes the backslash and writes \xNN (lower-case
/// hex) for bytes below 0x20 and for DEL, so escaped text is always one printable line.
struct EscapeRules {
  bool quote_mark = true;      ///< '"' becomes \" (text that is shown inside double quotes)
  bool named_controls = true;  ///< \n \r \t instead of \x0a \x0d \x09
  bool keep_non_ascii = true;  ///< bytes >= 0x80 kept as they are (else \xNN)
};

/// Appends the escaped form of `byte` to `out` under `rules`.
void append_escaped(std::string& out, unsigned char byte, const EscapeRules& rules);

/// `bytes` escaped under `rules`.
std::string escape(std::string_view bytes, const EscapeRules& rules);

/// `value` in double quotes for error messages: \" \\ and \xNN for control and non-ASCII bytes,
/// cut after `max_shown` input bytes with "..." so a hostile input cannot flood a message.
std::string quote(std::string_view value, std::size_t max_shown = 64);

/// The rules of quote(): for bytes from elsewhere (yaml-cpp's messages quote input bytes).
inline constexpr EscapeRules kMessageRules{true, false, false};

/// Lower-case hex of `bytes` ("00ff").
std::string to_hex(std::span<const unsigned char> bytes);

/// Length of the well-formed UTF-8 sequence at the start of `s` (1-4), or 0 when it is not one
/// (empty input, overlong forms, surrogates and values above U+10FFFF are not well-formed).
std::size_t utf8_sequence_length(std::string_view s) noexcept;

/// True when all of `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s) noexcept;

/// Appends `value` as a JSON string (RFC 8259): the escapes \" \\ \n \r \t, \u00XX for other
/// control bytes and DEL, and U+FFFD for each byte that is not part of well-formed UTF-8, so
/// hostile server text can neither break a line nor make the document invalid.
void append_json_string(std::string& out, std::string_view value);

/// FNV-1a, 64 bits: a hash that depends on the bytes alone (never std::hash), so every build
/// and every replica of the exporter computes the same value. Not for untrusted-key tables.
constexpr std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

/// The name of `key` in a table of {value, name} pairs (the stable label names of an enum);
/// "unknown" when it is not there.
template <typename Table, typename Key>
constexpr std::string_view name_in(const Table& table, Key key) noexcept {
  for (const auto& [k, name] : table) {
    if (k == key) return name;
  }
  return "unknown";
}

/// `s` without HTTP's optional whitespace (SP and HTAB, RFC 9110 §5.6.3) at either end.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// A tchar of RFC 9110 §5.6.2: the characters of HTTP methods and header names. ASCII only.
constexpr bool is_http_token_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// The one RFC 3339 UTC timestamp: "2026-12-02T04:20:00Z", or with `millis`
/// "2026-12-02T04:20:00.123Z" (logs).
/// `value` with `decimals` digits after the point ("%.*f").
std::string fixed(double value, int decimals);

/// `text` safe in HTML element content and in quoted attribute values: & < > " ' become
/// character references, and control bytes other than tab and newline (which HTML cannot show
/// and a hostile server may send) become U+FFFD.
std::string html_escape(std::string_view text);

std::string rfc3339(std::chrono::system_clock::time_point t, bool millis = false);

/// True when `pem` holds a PEM private key block of any kind ("-----BEGIN PRIVATE KEY-----",
/// "... RSA PRIVATE KEY", "... EC PRIVATE KEY", "... ENCRYPTED PRIVATE KEY"): the one test by
/// which a certificate_file holding a key is refused, at load and at every re-read.
bool pem_holds_private_key(std::string_view pem) noexcept;

}  // namespace starttls_exporter::text
