#include "smtp_reply.hpp"

#include <cstdio>
#include <utility>

namespace starttls_exporter::prober {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Control bytes other than TAB are never part of reply text. Bytes >= 0x80 are let through:
/// SMTPUTF8 servers (RFC 6531) may put UTF-8 in their text, and the transcript escapes them.
bool is_text_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '\t' || (u >= 0x20 && u != 0x7f);
}

std::string byte_name(char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buf;
}

}  // namespace

ReplyParser::ReplyParser(ReplyLimits limits) : limits_(limits) {}

ParseStatus ReplyParser::feed(std::string_view bytes) {
  if (status_ != ParseStatus::need_more) return status_;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const ParseStatus st = consume(bytes[i]);
    if (st == ParseStatus::need_more) continue;
    status_ = st;
    if (st == ParseStatus::complete) leftover_.assign(bytes.substr(i + 1));
    return status_;
  }
  return status_;
}

ParseStatus ReplyParser::next() {
  std::string rest = std::move(leftover_);
  reply_ = Reply{};
  line_.clear();
  pending_cr_ = false;
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
  if (reply_.raw.size() >= limits_.max_reply_bytes) {
    return fail(ParseStatus::too_long,
                "reply exceeds " + std::to_string(limits_.max_reply_bytes) + " bytes");
  }
  if (pending_cr_ && c != '\n') return fail(ParseStatus::malformed, "CR not followed by LF");
  if (c == '\n') {
    // RFC 5321 requires CRLF, but some appliances end lines with a bare LF. A prober only reads
    // and never relays these bytes, so accepting LF alone cannot smuggle anything; refusing it
    // would only misreport such servers as broken. A bare CR stays an error: it is ambiguous.
    pending_cr_ = false;
    reply_.raw.push_back(c);
    return end_line();
  }
  if (c == '\r') {
    pending_cr_ = true;
    reply_.raw.push_back(c);
    return ParseStatus::need_more;
  }
  if (!is_text_byte(c)) return fail(ParseStatus::malformed, "control byte " + byte_name(c));
  // Check the "DDD[ -]" prefix as it arrives, so garbage fails at once, not at the next LF.
  const std::size_t pos = line_.size();
  const bool prefix_ok = pos == 0   ? (c >= '2' && c <= '5')
                         : pos < 3  ? is_digit(c)
                         : pos == 3 ? (c == ' ' || c == '-')
                                    : true;
  if (!prefix_ok) {
    return fail(ParseStatus::malformed, "line does not start with a reply code and separator");
  }
  if (line_.size() >= limits_.max_line_bytes) {
    return fail(ParseStatus::too_long,
                "line exceeds " + std::to_string(limits_.max_line_bytes) + " bytes");
  }
  line_.push_back(c);
  reply_.raw.push_back(c);
  return ParseStatus::need_more;
}

ParseStatus ReplyParser::end_line() {
  if (line_.size() < 3) return fail(ParseStatus::malformed, "line shorter than a reply code");
  const int code = (line_[0] - '0') * 100 + (line_[1] - '0') * 10 + (line_[2] - '0');
  // A bare "250" (no separator, no text) is a final line, as RFC 5321's grammar allows.
  const bool final_line = line_.size() == 3 || line_[3] == ' ';
  if (reply_.lines.empty()) {
    reply_.code = code;
  } else if (code != reply_.code) {
    return fail(ParseStatus::malformed, "mixed reply codes " + std::to_string(reply_.code) +
                                            " and " + std::to_string(code));
  }
  if (reply_.lines.size() >= limits_.max_reply_lines) {
    return fail(ParseStatus::too_long,
                "reply exceeds " + std::to_string(limits_.max_reply_lines) + " lines");
  }
  reply_.lines.push_back(line_.size() > 4 ? line_.substr(4) : std::string());
  line_.clear();
  return final_line ? ParseStatus::complete : ParseStatus::need_more;
}

}  // namespace starttls_exporter::prober
