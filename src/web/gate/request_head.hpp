#pragma once
/// \file
/// The web port's first look at a request: is what a client sent so far the beginning of a
/// well-formed HTTP/1.x request head within the limits? Private to src/web. Pure: no I/O, no
/// allocation, so the gate can ask it again after each read and a fuzzer can drive it.

#include <cstddef>
#include <string_view>

namespace starttls_exporter::web {

/// Limits of a request head (RFC 9112 §2–5). The defaults are documented in README
/// (Operations → Web port limits).
struct HeadLimits {
  std::size_t max_target_bytes = 8 * 1024;  ///< request-target (path and query); longer: 414
  std::size_t max_head_bytes = 16 * 1024;   ///< request line and headers with CRLFs; more: 431
  std::size_t max_headers = 100;            ///< header fields; more: 431
  std::size_t max_body_bytes = 64 * 1024;   ///< Content-Length; larger: 413
};

/// Why a head is refused; each has one status code (status_of) and one metric reason
/// (reason_name).
enum class HeadProblem {
  malformed,                    ///< 400: not HTTP/1.x syntax (binary bytes, TLS on the plain port)
  uri_too_long,                 ///< 414
  headers_too_large,            ///< 431: the head exceeds max_head_bytes
  too_many_headers,             ///< 431
  body_too_large,               ///< 413
  unsupported_transfer_coding,  ///< 501: Transfer-Encoding (RFC 9112 §6.1); bodies need a length
  unsupported_version,          ///< 505: a version other than HTTP/1.0 and HTTP/1.1
};

struct HeadVerdict {
  enum class State { incomplete, complete, rejected };
  State state = State::incomplete;
  std::size_t head_bytes = 0;  ///< complete: bytes of the head, up to and including its blank line
  std::size_t body_bytes = 0;  ///< complete: the Content-Length (0 without one)
  HeadProblem problem = HeadProblem::malformed;  ///< rejected: why
};

/// Looks at the first bytes a client sent. `incomplete` means nothing wrong yet: the head has
/// not ended and no limit is exceeded. Lines end in CRLF or, tolerated (RFC 9112 §2.2), a bare
/// LF. Leading empty lines before the request line are allowed (RFC 9112 §2.2). A rejection is
/// reported as soon as the bytes prove it: a binary first byte fails at once, a target at
/// max_target_bytes + 1.
HeadVerdict inspect_head(std::string_view received, const HeadLimits& limits = {});

int status_of(HeadProblem problem) noexcept;
std::string_view reason_phrase(HeadProblem problem) noexcept;  ///< "Request-URI Too Long"
std::string_view reason_name(HeadProblem problem) noexcept;    ///< "uri_too_long"

}  // namespace starttls_exporter::web
