#include "starttls_exporter/core/text.hpp"

#include <array>
#include <cstdio>
#include <ctime>

namespace starttls_exporter::text {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 0xf];
}

}  // namespace

void append_escaped(std::string& out, unsigned char byte, const EscapeRules& rules) {
  if (byte == '\\' || (byte == '"' && rules.quote_mark)) {
    out += '\\';
    out += static_cast<char>(byte);
    return;
  }
  if (rules.named_controls && (byte == '\n' || byte == '\r' || byte == '\t')) {
    out += '\\';
    out += byte == '\n' ? 'n' : byte == '\r' ? 'r' : 't';
    return;
  }
  if (byte < 0x20 || byte == 0x7f || (byte >= 0x80 && !rules.keep_non_ascii)) {
    append_hex_escape(out, byte);
    return;
  }
  out += static_cast<char>(byte);
}

std::string escape(std::string_view bytes, const EscapeRules& rules) {
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) append_escaped(out, static_cast<unsigned char>(c), rules);
  return out;
}

std::string quote(std::string_view value, std::size_t max_shown) {
  const bool cut = value.size() > max_shown;
  return "\"" + escape(value.substr(0, max_shown), kMessageRules) + (cut ? "\"..." : "\"");
}

std::string to_hex(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char byte : bytes) {
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 0xf];
  }
  return out;
}

std::size_t utf8_sequence_length(std::string_view s) noexcept {
  if (s.empty()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte (RFC 3629 §4)
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return n;
}

bool is_valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    const std::size_t n = utf8_sequence_length(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

void append_json_string(std::string& out, std::string_view value) {
  out += '"';
  while (!value.empty()) {
    const auto c = static_cast<unsigned char>(value.front());
    const std::size_t n = utf8_sequence_length(value);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      value.remove_prefix(1);
      continue;
    }
    if (n > 1) {
      out += value.substr(0, n);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
    value.remove_prefix(n);
  }
  out += '"';
}

std::string rfc3339(std::chrono::system_clock::time_point t, bool millis) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (millis) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    n += static_cast<std::size_t>(
        std::snprintf(buf.data() + n, buf.size() - n, ".%03d", static_cast<int>(ms)));
  }
  return std::string(buf.data(), n) + "Z";
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t' && c != '\n') || byte == 0x7f) {
          out += "\xef\xbf\xbd";  // U+FFFD
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string fixed(double value, int decimals) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*f", decimals, value);
  return buf.data();
}

bool pem_holds_private_key(std::string_view pem) noexcept {
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kKey = "PRIVATE KEY-----";
  for (auto at = pem.find(kBegin); at != std::string_view::npos; at = pem.find(kBegin, at + 1)) {
    const std::string_view line = pem.substr(at, pem.find('\n', at) - at);
    if (line.find(kKey) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace starttls_exporter::text
