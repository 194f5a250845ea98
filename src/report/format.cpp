#include "format.hpp"

#include <array>
#include <cstdio>

namespace starttls_exporter::report {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

double days_between(SystemTime from, SystemTime to) {
  return std::chrono::duration<double>(to - from).count() / 86400;
}

std::string tls_mode_name(config::TlsMode mode) {
  return mode == config::TlsMode::implicit ? "implicit" : "starttls";
}

namespace {

/// The CSS classes of an ANSI code the report uses ("1;31": strong bad).
std::string classes_of(std::string_view code) {
  std::string out;
  const auto add = [&](const char* name) { out += out.empty() ? name : std::string(" ") + name; };
  if (code.starts_with("1;")) {
    add("strong");
    code.remove_prefix(2);
  }
  if (code == "31") add("bad");
  if (code == "32") add("good");
  if (code == "33") add("warn");
  return out;
}

}  // namespace

std::string html_from_marked(std::string_view marked) {
  std::string out;
  out.reserve(marked.size() + marked.size() / 8);
  int open = 0;
  std::size_t plain = 0;  // start of the text not yet escaped
  const auto flush = [&](std::size_t end) {
    out += text::html_escape(marked.substr(plain, end - plain));
  };
  for (std::size_t i = 0; i < marked.size(); ++i) {
    if (marked[i] != kMarkOpen) continue;
    const std::size_t close = marked.find(kMarkClose, i + 1);
    const std::string_view code =
        close == std::string_view::npos ? std::string_view() : marked.substr(i + 1, close - i - 1);
    if (close == std::string_view::npos || code.size() > 8 ||
        code.find_first_not_of("0123456789;") != std::string_view::npos) {
      continue;  // not a marker: escaped with the text around it
    }
    flush(i);
    if (code.empty() && open > 0) {
      out += "</span>";
      --open;
    } else if (!code.empty()) {
      out += "<span class=\"" + classes_of(code) + "\">";
      ++open;
    }
    i = close;
    plain = close + 1;
  }
  flush(marked.size());
  for (; open > 0; --open) out += "</span>";
  return out;
}

std::string ocsp_status_name(const OcspStaple& ocsp) {
  if (!ocsp.status) return "unparsed";
  switch (*ocsp.status) {
    case OcspStaple::Status::good:
      return "good";
    case OcspStaple::Status::revoked:
      return "revoked";
    case OcspStaple::Status::unknown:
      return "unknown";
  }
  return "unparsed";
}

}  // namespace starttls_exporter::report
