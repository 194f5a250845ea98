#include "transcript.hpp"

#include <cstdio>

namespace starttls_exporter::prober {

std::string escape_printable(std::string_view text, std::size_t max_bytes) {
  static constexpr std::string_view ellipsis = "...";
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    char piece[8];
    if (text[i] == '\r') {
      std::snprintf(piece, sizeof piece, "\\r");
    } else if (text[i] == '\n') {
      std::snprintf(piece, sizeof piece, "\\n");
    } else if (text[i] == '\t') {
      std::snprintf(piece, sizeof piece, "\\t");
    } else if (text[i] == '\\') {
      std::snprintf(piece, sizeof piece, "\\\\");
    } else if (u < 0x20 || u >= 0x7f) {
      std::snprintf(piece, sizeof piece, "\\x%02x", static_cast<unsigned>(u));
    } else {
      piece[0] = text[i];
      piece[1] = '\0';
    }
    const std::string_view p(piece);
    const bool last = i + 1 == text.size();
    // Keep room for the ellipsis unless this piece ends the text.
    if (out.size() + p.size() + (last ? 0 : ellipsis.size()) > max_bytes) {
      out.append(ellipsis);
      return out;
    }
    out.append(p);
  }
  return out;
}

void Transcript::add(std::string_view prefix, std::string_view text) {
  if (!enabled_ || truncated_) return;
  if (lines_.size() >= max_lines) {
    lines_.emplace_back("... (transcript truncated)");
    truncated_ = true;
    return;
  }
  std::string line(prefix);
  line += escape_printable(text, max_line_bytes > line.size() ? max_line_bytes - line.size() : 0);
  lines_.push_back(std::move(line));
}

void Transcript::add_reply(int code, const std::vector<std::string>& lines) {
  if (!enabled_) return;
  const std::string code_text = std::to_string(code);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const bool final_line = i + 1 == lines.size();
    std::string text = code_text;
    if (!(final_line && lines[i].empty())) text += final_line ? ' ' : '-';
    text += lines[i];
    add("S: ", text);
  }
}

}  // namespace starttls_exporter::prober
