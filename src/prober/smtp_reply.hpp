#pragma once
/// \file
/// Incremental, bounded parser for SMTP replies (RFC 5321 §4.2). Input is untrusted: the parser
/// never holds more than the ReplyLimits allow, whatever the peer sends.
///
/// Threading: one parser per connection, used from one thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/prober.hpp"

namespace starttls_exporter::prober {

/// One complete reply.
struct Reply {
  int code = 0;                    ///< 200..599
  std::vector<std::string> lines;  ///< text after "250-" / "250 " (empty for a bare "250")
  std::string raw;                 ///< every byte of the reply, terminators included
};

enum class ParseStatus {
  need_more,  ///< every byte was consumed; no complete reply yet
  complete,   ///< reply() is ready; bytes after it are in leftover()
  malformed,  ///< not an SMTP reply (see error()); sticky
  too_long,   ///< a line, the reply or the line count exceeded its limit; sticky
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

  ReplyLimits limits_;
  ParseStatus status_ = ParseStatus::need_more;
  Reply reply_;
  std::string line_;  ///< the current line without its terminator; never above max_line_bytes
  bool pending_cr_ = false;
  std::string leftover_;
  std::string error_;
};

}  // namespace starttls_exporter::prober
