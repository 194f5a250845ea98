#include "smtp_reply.hpp"

#include <utility>

namespace starttls_exporter::prober {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Whether `c` may stand at `pos` of a reply line: "DDD[ -]" first, then any text.
bool prefix_ok(std::size_t pos, char c) {
  return pos == 0   ? (c >= '2' && c <= '5')
         : pos < 3  ? is_digit(c)
         : pos == 3 ? (c == ' ' || c == '-')
                    : true;
}

}  // namespace

ReplyParser::ReplyParser(ReplyLimits limits) : lines_(limits) {}

ParseStatus ReplyParser::feed(std::string_view bytes) {
  const bool was_open = status_ == ParseStatus::need_more;
  feed_bytes(bytes, status_, leftover_, [this](char c) { return consume(c); });
  if (was_open && status_ != ParseStatus::need_more) reply_.raw = lines_.raw();
  return status_;
}

ParseStatus ReplyParser::next() {
  std::string rest = std::move(leftover_);
  reply_ = Reply{};
  lines_.reset();
  leftover_.clear();
  error_.clear();
  status_ = ParseStatus::need_more;
  return feed(rest);
}

ParseStatus ReplyParser::fail(ParseStatus status, std::string message) {
  error_ = "line " + std::to_string(reply_.lines.size() + 1) + ": " + std::move(message);
  return status;
}

ParseStatus ReplyParser::consume(char c) {
  using Step = LineAssembler::Step;
  switch (lines_.consume(c)) {
    case Step::pending:
      return ParseStatus::need_more;
    case Step::line_ended:
      return end_line();
    case Step::malformed:
      return fail(ParseStatus::malformed, lines_.error());
    case Step::too_long:
      return fail(ParseStatus::too_long, lines_.error());
    case Step::byte_kept:
      break;
  }
  // Check the "DDD[ -]" prefix as it arrives, so garbage fails at once, not at the next LF.
  if (!prefix_ok(lines_.line().size() - 1, c)) {
    return fail(ParseStatus::malformed, "line does not start with a reply code and separator");
  }
  return ParseStatus::need_more;
}

ParseStatus ReplyParser::end_line() {
  const std::string& line = lines_.line();
  if (line.size() < 3) return fail(ParseStatus::malformed, "line shorter than a reply code");
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  // A bare "250" (no separator, no text) is a final line, as RFC 5321's grammar allows.
  const bool final_line = line.size() == 3 || line[3] == ' ';
  if (reply_.lines.empty()) {
    reply_.code = code;
  } else if (code != reply_.code) {
    return fail(ParseStatus::malformed, "mixed reply codes " + std::to_string(reply_.code) +
                                            " and " + std::to_string(code));
  }
  std::string text = line.size() > 4 ? line.substr(4) : std::string();
  if (!lines_.finish_line()) return fail(ParseStatus::too_long, lines_.error());
  reply_.lines.push_back(std::move(text));
  return final_line ? ParseStatus::complete : ParseStatus::need_more;
}

}  // namespace starttls_exporter::prober
