#pragma once
/// \file
/// The web port's first look at a request: is what a client sent so far the beginning of a
/// well-formed HTTP/1.x request head within the limits? Private to src/web. Pure: no I/O, no
/// allocation, so the gate can ask it again after each read and a fuzzer can drive it.

#include <cstddef>
#include <string_view>

#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::web {

/// Limits of a request head (RFC 9112 §2–5). The defaults are documented in README
/// (Operations → Web port limits).
struct HeadLimits {
  std::size_t max_target_bytes = 8 * 1024;  ///< request-target (path and query); longer: 414
  std::size_t max_head_bytes = 16 * 1024;   ///< request line and headers with CRLFs; more: 431
  std::size_t max_headers = 100;            ///< header fields; more: 431
  std::size_t max_body_bytes = 64 * 1024;   ///< Content-Length; larger: 413
};

/// Why a head is refused: one of the head reasons of http::RequestRefusal (malformed,
/// uri_too_long, headers_too_large, too_many_headers, body_too_large,
/// unsupported_transfer_coding, unsupported_version), which are also the metric's reasons.
using HeadProblem = http::RequestRefusal;

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

/// The answer to a refused head: its status code and reason phrase (RFC 9110 §15).
struct HeadRefusalStatus {
  int code = 400;
  std::string_view phrase = "Bad Request";
};
HeadRefusalStatus status_of(HeadProblem problem) noexcept;

}  // namespace starttls_exporter::web
