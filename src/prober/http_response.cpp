#include "http_response.hpp"

#include "starttls_exporter/core/text.hpp"

#include <algorithm>
#include <cctype>

namespace starttls_exporter::prober {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using text::is_http_token_char;
using text::trim_ows;

HttpParse fail(HttpProblem problem, std::string detail) {
  HttpParse out;
  out.problem = problem;
  out.detail = std::move(detail);
  return out;
}

/// "HTTP/1.0 200 OK" or "HTTP/1.1 404": the status, or 0 when the line is not a status line.
int status_of(std::string_view line) {
  if (!(line.starts_with("HTTP/1.0 ") || line.starts_with("HTTP/1.1 ")) || line.size() < 12) {
    return 0;
  }
  const std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  if (line.size() > 12 && line[12] != ' ') return 0;
  const int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  return status >= 100 ? status : 0;
}

/// The next line of `head` from `at` without its terminator; advances `at`.
std::string_view next_line(std::string_view head, std::size_t& at) {
  const auto lf = head.find('\n', at);
  std::string_view line = head.substr(at, lf == std::string_view::npos ? lf : lf - at);
  at = lf == std::string_view::npos ? head.size() : lf + 1;
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

bool is_text_plain(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  return lower(trim_ows(content_type.substr(0, semicolon))) == "text/plain";
}

HttpParse parse_http_response(std::string_view bytes, std::size_t max_body) {
  // The head ends at the first empty line (CRLF CRLF, or LF LF).
  std::size_t head_end = std::string_view::npos, body_start = 0;
  for (std::size_t at = 0; at < bytes.size() && at <= kMaxHeaderBytes;) {
    const auto lf = bytes.find('\n', at);
    if (lf == std::string_view::npos) break;
    const std::string_view line = bytes.substr(at, lf - at);
    if (line.empty() || line == "\r") {
      head_end = at;
      body_start = lf + 1;
      break;
    }
    at = lf + 1;
  }
  if (head_end == std::string_view::npos) {
    return bytes.size() > kMaxHeaderBytes ? fail(HttpProblem::too_large, "headers over 16 KiB")
                                          : fail(HttpProblem::malformed, "no end of headers");
  }
  const std::string_view head = bytes.substr(0, head_end);
  std::size_t at = 0;
  HttpResponse response;
  response.status = status_of(next_line(head, at));
  if (response.status == 0) return fail(HttpProblem::malformed, "not an HTTP/1.x status line");
  std::optional<std::size_t> content_length;
  for (std::size_t lines = 0; at < head.size();) {
    if (++lines > kMaxHeaderLines) return fail(HttpProblem::too_large, "over 100 header lines");
    const std::string_view line = next_line(head, at);
    const auto colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() ||
        !std::all_of(name.begin(), name.end(), is_http_token_char)) {
      return fail(HttpProblem::malformed, "a header line is not \"name: value\"");
    }
    const std::string key = lower(name);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (key == "transfer-encoding") {
      return fail(HttpProblem::malformed, "Transfer-Encoding in a reply to HTTP/1.0");
    }
    if (key == "content-type" && response.content_type.empty()) response.content_type = value;
    if (key == "location" && response.location.empty()) response.location = value;
    if (key == "content-length") {
      const bool digits =
          !value.empty() && value.size() <= 12 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      const auto length = digits ? std::stoull(std::string(value)) : 0;
      if (!digits || (content_length && *content_length != length)) {
        return fail(HttpProblem::malformed, "a bad or repeated Content-Length");
      }
      content_length = length;
    }
  }
  std::string_view body = bytes.substr(body_start);
  if (content_length) {
    if (*content_length > max_body)
      return fail(HttpProblem::too_large, "Content-Length over the bound");
    if (body.size() < *content_length)
      return fail(HttpProblem::truncated, "body shorter than Content-Length");
    body = body.substr(0, *content_length);
  }
  if (body.size() > max_body) return fail(HttpProblem::too_large, "body over the bound");
  response.body = std::string(body);
  HttpParse out;
  out.response = std::move(response);
  return out;
}

}  // namespace starttls_exporter::prober
