#pragma once
/// \file
/// Incremental, bounded parser for SMTP replies (RFC 5321 §4.2) on top of LineAssembler. Input
/// is untrusted: the parser never holds more than the ReplyLimits allow, whatever the peer sends.
///
/// Threading: one parser per connection, used from one thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "line_reader.hpp"
#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

/// One complete reply.
struct Reply {
  int code = 0;                    ///< 200..599
  std::vector<std::string> lines;  ///< text after "250-" / "250 " (empty for a bare "250")
  std::string raw;                 ///< every byte of the reply, terminators included
};

class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = {});

  /// Consumes `bytes`. Stops at the end of the first complete reply and keeps the rest of
  /// `bytes` as leftover(). Once complete, malformed or too_long, later calls change nothing and
  /// return the same status (call next() to parse the following reply).
  ParseStatus feed(std::string_view bytes);

  ParseStatus status() const noexcept { return status_; }
  /// The reply; meaningful only when status() is complete.
  const Reply& reply() const noexcept { return reply_; }
  /// Every byte of the reply so far, also before it is complete (for partial-reply logs).
  const std::string& raw() const noexcept { return lines_.raw(); }
  /// Bytes received after the complete reply (at most one fed chunk's worth).
  std::string_view leftover() const noexcept { return leftover_; }
  /// Why the input was rejected; empty unless malformed or too_long.
  const std::string& error() const noexcept { return error_; }

  /// Forgets the current reply and starts on the next one, parsing the leftover bytes first.
  ParseStatus next();

 private:
  ParseStatus consume(char c);
  ParseStatus end_line();
  ParseStatus fail(ParseStatus status, std::string message);

  LineAssembler lines_;
  ParseStatus status_ = ParseStatus::need_more;
  Reply reply_;
  std::string leftover_;
  std::string error_;
};

}  // namespace starttls_exporter::prober
