#pragma once
/// \file
/// The bounded dialogue log of one probe ("C: EHLO x", "S: 250-...", "TLS: ..."), shown by
/// /probe?debug=true. Server text is untrusted: it is escaped and truncated here.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace starttls_exporter::prober {

class Transcript {
 public:
  static constexpr std::size_t max_lines = 100;
  static constexpr std::size_t max_line_bytes = 200;

  /// A disabled transcript records nothing (and spends nothing on escaping).
  explicit Transcript(bool enabled = true) : enabled_(enabled) {}

  /// Appends `prefix` + `text` with bytes outside printable ASCII escaped as \xNN (CR, LF and TAB
  /// as \r, \n, \t), truncated to max_line_bytes with a trailing "...". After max_lines lines
  /// one last "... (transcript truncated)" line is added and the rest is dropped.
  void add(std::string_view prefix, std::string_view text);
  /// One "S: " line per reply line, as the server sent it ("250-PIPELINING").
  void add_reply(int code, const std::vector<std::string>& lines);

  std::vector<std::string> take() { return std::move(lines_); }
  const std::vector<std::string>& lines() const noexcept { return lines_; }

 private:
  std::vector<std::string> lines_;
  bool enabled_ = true;
  bool truncated_ = false;
};

/// `text` with non-printable bytes escaped, at most `max_bytes` long (escapes are not split).
std::string escape_printable(std::string_view text, std::size_t max_bytes);

}  // namespace starttls_exporter::prober
