#pragma once
/// \file
/// A bounded reader for one HTTP/1.x response to an HTTP/1.0 GET (the MTA-STS policy fetch,
/// RFC 8461 §3.3): status line, headers, and a body delimited by Content-Length or by the end
/// of the connection. Untrusted bytes: never throws, every limit checked. Private to
/// src/prober.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace starttls_exporter::prober {

/// Bounds on what a policy server may send.
inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;  ///< status line and headers
inline constexpr std::size_t kMaxHeaderLines = 100;

struct HttpResponse {
  int status = 0;
  std::string content_type;  ///< the Content-Type value as sent ("" when absent)
  std::string location;      ///< the Location value ("" when absent)
  std::string body;
};

enum class HttpProblem {
  malformed,  ///< not an HTTP/1.x response (status line, header syntax, Content-Length, ...)
  too_large,  ///< headers or body over their bounds
  truncated,  ///< the connection ended before Content-Length bytes of body
};

struct HttpParse {
  std::optional<HttpResponse> response;  ///< set exactly when `problem` is not
  std::optional<HttpProblem> problem;
  std::string detail;
};

/// Parses everything the server sent up to the end of the connection (`bytes`), allowing a
/// body of at most `max_body` bytes. Lines end in CRLF (a bare LF is accepted, as most clients
/// do). Transfer-Encoding is rejected: a server must not use it for an HTTP/1.0 request.
HttpParse parse_http_response(std::string_view bytes, std::size_t max_body);

/// Whether `content_type` is text/plain, with or without parameters (RFC 8461 §3.3), the
/// media type compared case-insensitively.
bool is_text_plain(std::string_view content_type);

}  // namespace starttls_exporter::prober
