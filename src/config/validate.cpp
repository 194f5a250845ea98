#include "validate.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "starttls_exporter/config.hpp"

namespace starttls_exporter::config {

const std::vector<std::string_view>& reserved_label_names() {
  // Keep sorted. `le` is the histogram bucket label; job/instance are set by Prometheus itself
  // and a clash would make it rename ours to exported_*.
  static const std::vector<std::string_view> names{
      "algorithm",      "cipher",  "fingerprint_sha256",
      "gnutls_version", "group",   "instance",
      "issuer",         "job",     "le",
      "module",         "phase",   "position",
      "reason",         "result",  "serialnumber",
      "status",         "subject", "subjectalternative",
      "target",         "version",
  };
  return names;
}

namespace detail {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Each label: 1..63 of [A-Za-z0-9-], not starting or ending with '-'.
bool is_dns_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

std::string_view last_label(std::string_view name) {
  const auto dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  const std::string input(text);  // inet_pton needs a NUL-terminated string
  std::array<unsigned char, 16> binary{};
  std::array<char, INET6_ADDRSTRLEN> out{};
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, input.c_str(), binary.data()) == 1 &&
        inet_ntop(family, binary.data(), out.data(), out.size()) != nullptr) {
      return std::string(out.data());
    }
  }
  return std::nullopt;
}

bool is_dns_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = text.find('.', start);
    if (!is_dns_label(text.substr(start, dot == text.npos ? text.npos : dot - start))) {
      return false;
    }
    if (dot == text.npos) return true;
    start = dot + 1;
  }
}

std::optional<std::string> server_name_problem(std::string_view text) {
  if (text.empty()) return "must not be empty (leave the key out to send no SNI)";
  if (canonical_ip(text)) {
    return quote(text) +
           " is an IP address; server_name must be a DNS name (leave it out for "
           "servers that are known by address only)";
  }
  if (!is_dns_name(text)) return quote(text) + " is not a valid DNS name";
  if (all_digits(last_label(text))) {
    return quote(text) + " is not a valid DNS name (the last label is all digits)";
  }
  return std::nullopt;
}

std::optional<std::string> ehlo_name_problem(std::string_view text) {
  static const std::string kExpected =
      " must be a domain name or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]";
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    std::string_view inner = text.substr(1, text.size() - 2);
    const bool v6 = inner.starts_with("IPv6:");
    if (v6) inner.remove_prefix(5);
    const auto ip = canonical_ip(inner);
    if (ip && (ip->find(':') != std::string::npos) == v6) return std::nullopt;
    return quote(text) + kExpected;
  }
  if (!is_dns_name(text) || all_digits(last_label(text))) return quote(text) + kExpected;
  return std::nullopt;
}

std::optional<std::string> module_name_problem(std::string_view text) {
  if (is_plain_key(text)) return std::nullopt;
  return "invalid module name " + quote(text) + ": use 1 to 64 letters, digits, '_' or '-'";
}

std::optional<std::string> label_name_problem(std::string_view text) {
  const bool ok = !text.empty() && (is_alpha(text.front()) || text.front() == '_') &&
                  std::all_of(text.begin(), text.end(),
                              [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
  if (!ok) return "invalid label name " + quote(text) + ": must match [a-zA-Z_][a-zA-Z0-9_]*";
  if (text.starts_with("__")) {
    return "invalid label name " + quote(text) + ": names starting with \"__\" are reserved";
  }
  const auto& reserved = reserved_label_names();
  if (std::binary_search(reserved.begin(), reserved.end(), text)) {
    return "label name " + quote(text) + " is reserved: the exporter sets it itself";
  }
  return std::nullopt;
}

std::optional<std::string> label_value_problem(std::string_view text) {
  if (!is_valid_utf8(text)) return "label value " + quote(text) + " is not valid UTF-8";
  if (text.find('\0') != text.npos) return "label value " + quote(text) + " contains a NUL byte";
  return std::nullopt;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3, cp = lead & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cont & 0x3F);
    }
    static constexpr char32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool is_plain_key(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
  });
}

std::string escape(std::string_view text, std::size_t max_shown) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_shown) out += "...";
  return out;
}

std::string quote(std::string_view text, std::size_t max_shown) {
  return "\"" + escape(text.substr(0, max_shown), max_shown) +
         (text.size() > max_shown ? "\"..." : "\"");
}

}  // namespace detail
}  // namespace starttls_exporter::config
