#include "line_reader.hpp"

#include <cstdio>
#include <utility>

namespace starttls_exporter::prober {
namespace {

bool is_text_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '\t' || (u >= 0x20 && u != 0x7f);
}

std::string byte_name(char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buf;
}

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

LineAssembler::Step LineAssembler::fail(Step step, std::string message) {
  error_ = std::move(message);
  return step;
}

LineAssembler::Step LineAssembler::consume(char c) {
  if (raw_.size() >= limits_.max_reply_bytes) {
    return fail(Step::too_long,
                "reply exceeds " + std::to_string(limits_.max_reply_bytes) + " bytes");
  }
  if (pending_cr_ && c != '\n') return fail(Step::malformed, "CR not followed by LF");
  if (c == '\n') {
    pending_cr_ = false;
    raw_.push_back(c);
    return Step::line_ended;
  }
  if (c == '\r') {
    pending_cr_ = true;
    raw_.push_back(c);
    return Step::pending;
  }
  if (!is_text_byte(c)) return fail(Step::malformed, "control byte " + byte_name(c));
  if (line_.size() >= limits_.max_line_bytes) {
    return fail(Step::too_long,
                "line exceeds " + std::to_string(limits_.max_line_bytes) + " bytes");
  }
  line_.push_back(c);
  raw_.push_back(c);
  return Step::byte_kept;
}

bool LineAssembler::finish_line() {
  if (lines_done_ >= limits_.max_reply_lines) {
    fail(Step::too_long, "reply exceeds " + std::to_string(limits_.max_reply_lines) + " lines");
    return false;
  }
  ++lines_done_;
  line_.clear();
  return true;
}

void LineAssembler::reset() {
  line_.clear();
  raw_.clear();
  lines_done_ = 0;
  pending_cr_ = false;
  error_.clear();
}

LineResponseParser::LineResponseParser(FinalTest is_final, ReplyLimits limits)
    : is_final_(std::move(is_final)), lines_assembler_(limits) {}

ParseStatus LineResponseParser::feed(std::string_view bytes) {
  return feed_bytes(bytes, status_, leftover_, [this](char c) { return consume(c); });
}

ParseStatus LineResponseParser::next() {
  std::string rest = std::move(leftover_);
  lines_assembler_.reset();
  lines_.clear();
  leftover_.clear();
  error_.clear();
  status_ = ParseStatus::need_more;
  return feed(rest);
}

ParseStatus LineResponseParser::next(FinalTest is_final) {
  is_final_ = std::move(is_final);
  return next();
}

ParseStatus LineResponseParser::consume(char c) {
  using Step = LineAssembler::Step;
  const Step step = lines_assembler_.consume(c);
  if (step == Step::byte_kept || step == Step::pending) return ParseStatus::need_more;
  const auto line_no = "line " + std::to_string(lines_.size() + 1) + ": ";
  if (step != Step::line_ended) {
    error_ = line_no + lines_assembler_.error();
    return step == Step::too_long ? ParseStatus::too_long : ParseStatus::malformed;
  }
  std::string line = lines_assembler_.line();
  if (!lines_assembler_.finish_line()) {
    error_ = line_no + lines_assembler_.error();
    return ParseStatus::too_long;
  }
  const bool final_line = is_final_(lines_, line);
  lines_.push_back(std::move(line));
  return final_line ? ParseStatus::complete : ParseStatus::need_more;
}

std::string_view first_word(std::string_view line) noexcept {
  return line.substr(0, line.find_first_of(" \t"));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && starts_with_ignoring_case(a, b);
}

bool starts_with_ignoring_case(std::string_view line, std::string_view prefix) noexcept {
  if (line.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (upper(line[i]) != upper(prefix[i])) return false;
  }
  return true;
}

}  // namespace starttls_exporter::prober
