#pragma once
/// \file
/// Bounded line parsing shared by every protocol's dialogue. Input is untrusted: a parser never
/// holds more than the ReplyLimits allow, whatever the peer sends.
///
/// LineAssembler is the byte level (CRLF or bare LF, no control bytes, line/response bounds);
/// ReplyParser (SMTP codes) and LineResponseParser (IMAP, POP3, ManageSieve) build on it.
/// Threading: one parser per connection, used from one thread.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

enum class ParseStatus {
  need_more,  ///< every byte was consumed; no complete reply yet
  complete,   ///< reply() is ready; bytes after it are in leftover()
  malformed,  ///< not a reply of the protocol (see error()); sticky
  too_long,   ///< a line, the reply or the line count exceeded its limit; sticky
};

/// The feed loop of every parser here: passes `bytes` to `consume` one at a time until it
/// returns something other than need_more, which becomes the sticky `status`; on complete the
/// rest of `bytes` goes to `leftover`. Does nothing once `status` is not need_more.
template <typename Consume>
ParseStatus feed_bytes(std::string_view bytes, ParseStatus& status, std::string& leftover,
                       Consume consume) {
  if (status != ParseStatus::need_more) return status;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const ParseStatus st = consume(bytes[i]);
    if (st == ParseStatus::need_more) continue;
    status = st;
    if (st == ParseStatus::complete) leftover.assign(bytes.substr(i + 1));
    return status;
  }
  return status;
}

/// Splits one response's bytes into lines. Bare LF ends a line as CRLF does (a prober only
/// reads and never relays, so this cannot smuggle anything); a bare CR and control bytes other
/// than TAB are malformed; bytes >= 0x80 pass (UTF-8 text; the transcript escapes them).
class LineAssembler {
 public:
  enum class Step {
    byte_kept,   ///< a text byte was appended to line()
    pending,     ///< a CR; the LF must follow
    line_ended,  ///< line() is complete (terminator not included); call finish_line()
    malformed,   ///< see error()
    too_long,    ///< see error()
  };

  explicit LineAssembler(ReplyLimits limits = {}) : limits_(limits) {}

  Step consume(char c);
  /// Counts the ended line and clears line(). False (with error()) past max_reply_lines.
  bool finish_line();
  /// Forgets everything (a new response starts).
  void reset();

  const std::string& line() const noexcept { return line_; }
  const std::string& raw() const noexcept { return raw_; }  ///< every byte, terminators too
  std::size_t lines_done() const noexcept { return lines_done_; }
  const std::string& error() const noexcept { return error_; }

 private:
  Step fail(Step step, std::string message);

  ReplyLimits limits_;
  std::string line_;
  std::string raw_;
  std::size_t lines_done_ = 0;
  bool pending_cr_ = false;
  std::string error_;
};

/// A response of text lines that ends with the line `is_final` accepts: IMAP's tagged line,
/// POP3's "." (or a one-line status), ManageSieve's OK/NO/BYE. `is_final` sees the lines
/// before it and the new line. Same contract as ReplyParser: feed() stops at the end of the
/// response and keeps the rest as leftover(); statuses are sticky until next().
class LineResponseParser {
 public:
  using FinalTest =
      std::function<bool(const std::vector<std::string>& before, std::string_view line)>;

  LineResponseParser(FinalTest is_final, ReplyLimits limits = {});

  ParseStatus feed(std::string_view bytes);
  ParseStatus next();
  /// Starts over with a new final-line test (the next response is of another kind).
  ParseStatus next(FinalTest is_final);

  ParseStatus status() const noexcept { return status_; }
  const std::vector<std::string>& lines() const noexcept { return lines_; }
  const std::string& raw() const noexcept { return lines_assembler_.raw(); }
  std::string_view leftover() const noexcept { return leftover_; }
  const std::string& error() const noexcept { return error_; }

 private:
  ParseStatus consume(char c);

  FinalTest is_final_;
  LineAssembler lines_assembler_;
  ParseStatus status_ = ParseStatus::need_more;
  std::vector<std::string> lines_;
  std::string leftover_;
  std::string error_;
};

/// The first whitespace-separated word of `line`, and whether two words are equal ignoring
/// ASCII case (protocol keywords are case-insensitive in every protocol here).
std::string_view first_word(std::string_view line) noexcept;
bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept;
/// True when `line` starts with `prefix`, ignoring ASCII case.
bool starts_with_ignoring_case(std::string_view line, std::string_view prefix) noexcept;

}  // namespace starttls_exporter::prober
