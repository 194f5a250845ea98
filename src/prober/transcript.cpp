#include "transcript.hpp"

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::prober {

std::string escape_printable(std::string_view bytes, std::size_t max_bytes) {
  static constexpr std::string_view ellipsis = "...";
  static constexpr text::EscapeRules rules{false, true, false};
  std::string out;
  std::string piece;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    piece.clear();
    text::append_escaped(piece, static_cast<unsigned char>(bytes[i]), rules);
    const bool last = i + 1 == bytes.size();
    // Keep room for the ellipsis unless this piece ends the text.
    if (out.size() + piece.size() + (last ? 0 : ellipsis.size()) > max_bytes) {
      out.append(ellipsis);
      return out;
    }
    out.append(piece);
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
