#include "document.hpp"

#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <sstream>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {

SourceLocation location_of(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

namespace {

// Follows the parser's events: where each document starts, whether anchors or aliases occur,
// and where the items of the first document's top-level `targets` block sequence start.
class DocumentEvents : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  bool anchors = false;
  bool targets_block = false;
  std::vector<YAML::Mark> target_items;
  std::optional<YAML::Mark> after_targets;  ///< the root's next node after the sequence

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    start(mark, anchor, nullptr, false);
    end();
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    anchors = true;
    start(mark, 0, nullptr, false);
    end();
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    start(mark, anchor, &value, false);
    end();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    start(mark, anchor, nullptr, style == YAML::EmitterStyle::Block);
    ++depth_;
  }
  void OnSequenceEnd() override {
    --depth_;
    end();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (depth_ == 0 && starts.size() == 1) root_is_map_ = true;
    start(mark, anchor, nullptr, false);
    ++depth_;
  }
  void OnMapEnd() override {
    --depth_;
    end();
  }

 private:
  enum class State { before, key_seen, inside, ended, done };

  // A node begins at `depth_` (its parent's depth).
  void start(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* scalar,
             bool block_sequence) {
    if (anchor != 0) anchors = true;
    if (starts.size() != 1 || !root_is_map_) return;
    if (depth_ == 2 && state_ == State::inside) target_items.push_back(mark);
    if (depth_ != 1) return;
    if (state_ == State::ended) {
      after_targets = mark;
      state_ = State::done;
    } else if (root_children_ % 2 == 0 && state_ == State::before) {
      if (scalar != nullptr && *scalar == "targets") state_ = State::key_seen;
    } else if (root_children_ % 2 == 1 && state_ == State::key_seen) {
      targets_block = block_sequence;
      state_ = block_sequence ? State::inside : State::done;
    }
  }

  // A node ended; `depth_` is its parent's depth again.
  void end() {
    if (starts.size() != 1 || !root_is_map_ || depth_ != 1) return;
    ++root_children_;
    if (state_ == State::inside) state_ = State::ended;
  }

  int depth_ = 0;
  bool root_is_map_ = false;
  std::size_t root_children_ = 0;
  State state_ = State::before;
};

// Parses up to three documents: enough to see a second one, and to see the parser stuck on a
// token it cannot consume (two documents starting at the same position).
DocumentEvents check_stream(const std::string& text, const std::string& file) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentEvents handler;
  for (int i = 0; i < 3 && parser.HandleNextDocument(handler); ++i) {
    const auto& starts = handler.starts;
    if (starts.size() >= 2 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos) {
      const YAML::Mark& at = starts.back();
      const std::string token = at.pos >= 0 && static_cast<std::size_t>(at.pos) < text.size()
                                    ? text.substr(at.pos, 1)
                                    : "";
      throw ConfigError(location_of(file, at), "", "YAML syntax error: unexpected " + quote(token));
    }
  }
  if (handler.starts.size() > 1) {
    throw ConfigError(location_of(file, handler.starts[1]), "",
                      "the file holds more than one YAML document");
  }
  return handler;
}

// Walks the marks in order, checking that each one's position, line and column agree with the
// text (a byte-order mark or a lone-CR line break would shift them), and finds its line start.
class MarkCheck {
 public:
  explicit MarkCheck(std::string_view text) : text_(text) {}

  /// The start of the mark's line, or nullopt when the mark does not agree with the text.
  std::optional<std::size_t> line_start(const YAML::Mark& mark) {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) > text_.size()) return std::nullopt;
    const auto pos = static_cast<std::size_t>(mark.pos);
    if (pos < pos_) return std::nullopt;
    for (; pos_ < pos; ++pos_) {
      if (text_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
    }
    if (mark.line != line_ || mark.column != static_cast<int>(pos - line_start_)) {
      return std::nullopt;
    }
    return line_start_;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 0;
};

// An item can open a slice when its line is "  - item": spaces, the dash, spaces, the item.
bool opens_line(std::string_view text, std::size_t line_start, std::size_t pos) {
  const std::string_view before = text.substr(line_start, pos - line_start);
  const std::size_t dash = before.find_first_not_of(' ');
  return dash != std::string_view::npos && before[dash] == '-' && dash + 1 < before.size() &&
         before.find_first_not_of(' ', dash + 1) == std::string_view::npos;
}

// The slices of the targets list, or none when it cannot be sliced safely.
std::vector<TextSlice> target_slices(std::string_view text, const DocumentEvents& events) {
  if (events.anchors || !events.targets_block || events.target_items.empty()) return {};
  MarkCheck marks(text);
  std::vector<TextSlice> slices;
  std::size_t in_slice = 0;
  for (const YAML::Mark& item : events.target_items) {
    const auto line_start = marks.line_start(item);
    if (!line_start) return {};
    const bool opens = opens_line(text, *line_start, static_cast<std::size_t>(item.pos));
    if (slices.empty() && !opens) return {};
    if (opens && (slices.empty() || in_slice >= kTargetsPerSlice)) {
      if (!slices.empty()) slices.back().end = *line_start;
      slices.push_back(TextSlice{*line_start, 0, item.line});
      in_slice = 0;
    }
    ++in_slice;
  }
  slices.back().end = text.size();
  if (events.after_targets) {
    const auto line_start = marks.line_start(*events.after_targets);
    if (!line_start) return {};
    slices.back().end = *line_start;
  }
  return slices;
}

// The text without the sliced lines but with their line breaks, so every later mark keeps its
// line (a column does not move either: the slices are whole lines). A few bytes per target,
// where a blanked copy of the whole text cost as much as the file.
std::string without_slices(const std::string& text, const std::vector<TextSlice>& slices) {
  const std::size_t begin = slices.front().begin;
  const std::size_t end = slices.back().end;
  std::string out = text.substr(0, begin);
  for (std::size_t i = begin; i < end; ++i) {
    if (text[i] == '\n' || text[i] == '\r') out += text[i];
  }
  out.append(text, end);
  return out;
}

}  // namespace

Document load_document(const std::string& text, const std::string& file, bool slice_targets) {
  try {
    const DocumentEvents events = check_stream(text, file);
    Document document;
    document.text = text;
    if (slice_targets) document.target_slices = target_slices(text, events);
    if (!document.target_slices.empty()) document.target_count = events.target_items.size();
    document.root = document.target_slices.empty()
                        ? YAML::Load(text)
                        : YAML::Load(without_slices(text, document.target_slices));
    return document;
  } catch (const YAML::Exception& e) {
    // ParserException (and its DeepRecursion) carry the mark of the offending token. Its
    // message may quote input bytes, hence the escaping.
    throw ConfigError(location_of(file, e.mark), "", "YAML syntax error: " + escape(e.msg));
  }
}

YAML::Node load_slice(std::string_view text, const TextSlice& slice, const std::string& file) {
  try {
    return YAML::Load(std::string(text.substr(slice.begin, slice.end - slice.begin)));
  } catch (const YAML::Exception& e) {
    // Not expected: the whole document parsed. Located in the file all the same.
    SourceLocation where = location_of(file, e.mark);
    if (where.line > 0) where.line += slice.first_line;
    throw ConfigError(where, "targets", "YAML syntax error: " + escape(e.msg));
  }
}

}  // namespace starttls_exporter::config::detail
