#pragma once
/// \file
/// Formatting shared by the text, JSON and HTML reports. Private to src/report.

#include <string>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::report {

using text::rfc3339;

using text::fixed;

/// The items with `separator` between them.
std::string join(const std::vector<std::string>& items, const char* separator = ", ");

/// How the text report marks its verdict words: not at all, with ANSI colours (a terminal),
/// or with markers that html_from_marked() turns into CSS classes (the HTML report). One text,
/// three renderings: the HTML report says exactly what the command prints.
enum class Colour { none, ansi, markup };

/// Opens a marked span: kMarkOpen, the ANSI code (digits and ';'), kMarkClose; a span ends
/// with kMarkOpen kMarkClose. Shift-out and shift-in never occur in the report's own text, and
/// an untrusted string that carries them can change a colour at most: html_from_marked()
/// escapes every other byte.
inline constexpr char kMarkOpen = '\x0e';
inline constexpr char kMarkClose = '\x0f';

struct Paint {
  Colour colour;
  std::string operator()(const std::string& text, const char* code) const {
    switch (colour) {
      case Colour::ansi:
        return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
      case Colour::markup:
        return kMarkOpen + std::string(code) + kMarkClose + text + kMarkOpen + kMarkClose;
      case Colour::none:
        break;
    }
    return text;
  }
};

/// Marked text (Colour::markup) as HTML element content: every byte escaped (text::html_escape)
/// and each marked span a <span class="..."> (bad, good, warn, with strong for bold).
std::string html_from_marked(std::string_view marked);

/// The text report of one address (text_report) with `paint`'s marks.
std::string address_text(const ProbeRequest& request, const ProbeResult& result, SystemTime now,
                         const Paint& paint);

/// The domain report in parts: `head` (verdict, mail path, DANE, MTA-STS, TLS-RPT, the rule
/// that decided each address), then one part per address: its decided-by `line`, its `name`
/// ("ENDPOINT (MX)") and its address report.
struct DomainText {
  struct Address {
    std::string line;
    std::string name;
    std::string body;
  };
  std::string head;
  std::vector<Address> addresses;
};
DomainText domain_text(const domains::DomainProbe& probe, std::uint16_t port, SystemTime now,
                       const Paint& paint);

/// Days from `from` to `to` (negative when `to` is earlier).
double days_between(SystemTime from, SystemTime to);

/// "starttls" or "implicit".
std::string tls_mode_name(config::TlsMode mode);

/// "good", "revoked", "unknown", or "unparsed" when the response gave no verdict on the leaf.
std::string ocsp_status_name(const OcspStaple& ocsp);

}  // namespace starttls_exporter::report
