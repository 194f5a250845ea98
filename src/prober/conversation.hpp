#pragma once
/// \file
/// The I/O every protocol dialogue shares: sending one command line, reading one bounded
/// response with any line parser (ReplyParser, LineResponseParser), classifying socket errors,
/// and the plaintext-injection check before a STARTTLS handshake. No protocol knowledge here.
///
/// Threading: used from the probe's coroutine only.

#include <asio/awaitable.hpp>
#include <asio/error.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "connection.hpp"
#include "line_reader.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "transcript.hpp"

namespace starttls_exporter::prober {

/// Not owning; lives in the probe's coroutine frame.
struct Conversation {
  Connection& connection;  ///< for expired(): any error after the deadline is a timeout
  Channel* channel;        ///< the plaintext connection, then the TLS session
  Transcript& transcript;
};

/// A socket error as the phase's failure (timeout once the deadline passed).
Failure io_failure(const Conversation& io, Phase phase, std::error_code ec);

/// Sends `line` + CRLF. `line` must not contain CR or LF (that would inject a second command),
/// which is a bug in the caller or the configuration, so it throws std::invalid_argument.
asio::awaitable<std::optional<Failure>> send_line(Conversation& io, Phase phase,
                                                  std::string_view line);

/// After a STARTTLS go-ahead: any byte here before the ClientHello leaves (`leftover` read with
/// the go-ahead, or already waiting in the socket, checked without waiting) is plaintext that a
/// man in the middle or a broken server injected. Returns response_injection then; those bytes
/// never reach TLS. `go_ahead` names the reply in the transcript and detail ("220", "+OK").
std::optional<Failure> injection_check(Conversation& io, Phase phase, std::string_view leftover,
                                       std::string_view go_ahead);

/// Reads one complete response into `parser` (which first parses bytes left over from the
/// previous response; call parser.next() before, when the previous one is complete). Logs
/// partial and rejected bytes; the caller logs the complete response in its own format.
/// Bounded by the parser's ReplyLimits; malformed -> malformed_reply, too_long -> reply_too_long.
template <typename Parser>
asio::awaitable<std::optional<Failure>> read_response(Conversation& io, Parser& parser,
                                                      Phase phase) {
  constexpr std::size_t read_chunk_bytes = 4096;
  std::array<char, read_chunk_bytes> buffer;
  while (parser.status() == ParseStatus::need_more) {
    std::size_t n = 0;
    auto ec = co_await io.channel->read_some(buffer, n);
    if (n > 0) parser.feed(std::string_view(buffer.data(), n));
    if (!ec && n == 0) ec = make_error_code(asio::error::eof);  // a stream that ends silently
    if (ec && parser.status() == ParseStatus::need_more) {
      if (!parser.raw().empty()) io.transcript.add("S (partial): ", parser.raw());
      co_return io_failure(io, phase, ec);
    }
  }
  if (parser.status() == ParseStatus::complete) co_return std::nullopt;
  io.transcript.add("S (rejected): ", parser.raw());
  const FailureReason reason = parser.status() == ParseStatus::too_long
                                   ? FailureReason::reply_too_long
                                   : FailureReason::malformed_reply;
  co_return Failure{phase, reason, 0, parser.error()};
}

}  // namespace starttls_exporter::prober
