// HTTP/1.x request head syntax (RFC 9112 §2.2, §3, §5) checked incrementally on the bytes
// received so far.
#include "request_head.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::web {
namespace {

using State = HeadVerdict::State;

constexpr std::size_t kMaxMethodBytes = 20;  // longer than any registered method
constexpr std::string_view kVersionPrefix = "HTTP/";

/// Visible US-ASCII: a request-target has no spaces, controls or non-ASCII bytes (§3.2).
bool is_target_char(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}

/// field-value bytes (RFC 9110 §5.5): visible, SP, HTAB and obs-text; no CR, LF or NUL.
bool is_value_char(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((static_cast<unsigned char>(a[i]) | 0x20) != (static_cast<unsigned char>(b[i]) | 0x20)) {
      return false;
    }
  }
  return true;
}

HeadVerdict reject(HeadProblem problem) {
  HeadVerdict v;
  v.state = State::rejected;
  v.problem = problem;
  return v;
}

/// One line of the head: its text without the line ending, and whether that ending arrived.
struct Line {
  std::string_view text;
  bool complete = false;
  std::size_t next = 0;  ///< offset after the line ending
};

Line line_at(std::string_view s, std::size_t from) {
  const auto nl = s.find('\n', from);
  if (nl == std::string_view::npos) {
    // A CR at the end may be the first half of a CRLF whose LF has not arrived yet.
    std::string_view text = s.substr(from);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return {text, false, s.size()};
  }
  std::string_view text = s.substr(from, nl - from);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return {text, true, nl + 1};
}

/// The request line, possibly partial; nullopt when nothing is wrong so far.
std::optional<HeadProblem> check_request_line(std::string_view line, bool complete,
                                              const HeadLimits& limits) {
  const auto sp1 = line.find(' ');
  const std::string_view method = line.substr(0, sp1);
  if (method.size() > kMaxMethodBytes) return HeadProblem::malformed;
  for (const char c : method) {
    if (!text::is_http_token_char(c)) return HeadProblem::malformed;
  }
  if (sp1 == std::string_view::npos) {
    return complete ? std::optional(HeadProblem::malformed) : std::nullopt;
  }
  if (method.empty()) return HeadProblem::malformed;
  const std::string_view rest = line.substr(sp1 + 1);
  const auto sp2 = rest.find(' ');
  const std::string_view target = rest.substr(0, sp2);
  if (target.size() > limits.max_target_bytes) return HeadProblem::uri_too_long;
  for (const char c : target) {
    if (!is_target_char(static_cast<unsigned char>(c))) return HeadProblem::malformed;
  }
  // origin-form, asterisk-form or absolute-form (§3.2); the first byte tells.
  if (!target.empty() && target.front() != '/' && target != "*" &&
      !(target.front() == 'h' || target.front() == 'H')) {
    return HeadProblem::malformed;
  }
  if (sp2 == std::string_view::npos) {
    return complete ? std::optional(HeadProblem::malformed) : std::nullopt;
  }
  if (target.empty()) return HeadProblem::malformed;
  const std::string_view version = rest.substr(sp2 + 1);
  const std::string_view prefix = version.substr(0, kVersionPrefix.size());
  if (prefix != kVersionPrefix.substr(0, prefix.size())) return HeadProblem::malformed;
  if (!complete) return version.size() > 8 ? std::optional(HeadProblem::malformed) : std::nullopt;
  if (version.size() != 8 || version[6] != '.' || version[5] < '0' || version[5] > '9' ||
      version[7] < '0' || version[7] > '9') {
    return HeadProblem::malformed;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return HeadProblem::unsupported_version;
  return std::nullopt;
}

/// What the header fields said so far about the body.
struct Framing {
  std::optional<std::size_t> content_length;
  std::size_t fields = 0;
};

/// One header field line, possibly partial.
std::optional<HeadProblem> check_field(std::string_view line, bool complete, Framing& framing,
                                       const HeadLimits& limits) {
  // A line starting with whitespace is obs-fold, which a server may reject (§5.2).
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    return HeadProblem::malformed;
  }
  const auto colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  for (const char c : name) {
    if (!text::is_http_token_char(c)) return HeadProblem::malformed;
  }
  if (colon == std::string_view::npos) {
    return complete ? std::optional(HeadProblem::malformed) : std::nullopt;
  }
  if (name.empty()) return HeadProblem::malformed;
  const std::string_view value = line.substr(colon + 1);
  for (const char c : value) {
    if (!is_value_char(static_cast<unsigned char>(c))) return HeadProblem::malformed;
  }
  if (!complete) return std::nullopt;
  if (++framing.fields > limits.max_headers) return HeadProblem::too_many_headers;
  if (ascii_iequal(name, "transfer-encoding")) return HeadProblem::unsupported_transfer_coding;
  if (!ascii_iequal(name, "content-length")) return std::nullopt;
  const std::string_view digits = text::trim_ows(value);
  std::size_t length = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (digits.empty() || end != digits.data() + digits.size()) {
    // Not a number, or too large for size_t: the digits alone tell which (§6.3).
    const bool all_digits =
        !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    return all_digits && ec == std::errc::result_out_of_range
               ? std::optional(HeadProblem::body_too_large)
               : std::optional(HeadProblem::malformed);
  }
  if (framing.content_length && *framing.content_length != length) return HeadProblem::malformed;
  framing.content_length = length;
  if (length > limits.max_body_bytes) return HeadProblem::body_too_large;
  return std::nullopt;
}

}  // namespace

HeadVerdict inspect_head(std::string_view received, const HeadLimits& limits) {
  std::size_t at = 0;
  Line line = line_at(received, at);
  while (line.complete && line.text.empty() && at < limits.max_head_bytes) {
    at = line.next;  // empty lines before the request line (§2.2)
    line = line_at(received, at);
  }
  if (const auto problem = check_request_line(line.text, line.complete, limits)) {
    return reject(*problem);
  }
  Framing framing;
  while (line.complete) {
    at = line.next;
    line = line_at(received, at);
    if (line.complete && line.text.empty()) {
      if (line.next > limits.max_head_bytes) return reject(HeadProblem::headers_too_large);
      HeadVerdict v;
      v.state = State::complete;
      v.head_bytes = line.next;
      v.body_bytes = framing.content_length.value_or(0);
      return v;
    }
    if (const auto problem = check_field(line.text, line.complete, framing, limits)) {
      return reject(*problem);
    }
  }
  if (received.size() > limits.max_head_bytes) return reject(HeadProblem::headers_too_large);
  return {};
}

HeadRefusalStatus status_of(HeadProblem problem) noexcept {
  static constexpr std::pair<HeadProblem, HeadRefusalStatus> kStatuses[] = {
      {HeadProblem::malformed, {400, "Bad Request"}},
      {HeadProblem::uri_too_long, {414, "URI Too Long"}},
      {HeadProblem::headers_too_large, {431, "Request Header Fields Too Large"}},
      {HeadProblem::too_many_headers, {431, "Request Header Fields Too Large"}},
      {HeadProblem::body_too_large, {413, "Content Too Large"}},
      {HeadProblem::unsupported_transfer_coding, {501, "Not Implemented"}},
      {HeadProblem::unsupported_version, {505, "HTTP Version Not Supported"}},
  };
  for (const auto& [key, status] : kStatuses) {
    if (key == problem) return status;
  }
  return {};
}

}  // namespace starttls_exporter::web
