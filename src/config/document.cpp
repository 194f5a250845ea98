#include "document.hpp"

#include <yaml-cpp/eventhandler.h>

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

// Records where each document starts; ignores the content (YAML::Load builds the tree).
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Parses up to three documents: enough to see a second one, and to see the parser stuck on a
// token it cannot consume (two documents starting at the same position).
void check_stream(const std::string& text, const std::string& file) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts handler;
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
}

}  // namespace

YAML::Node load_document(const std::string& text, const std::string& file) {
  try {
    check_stream(text, file);
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // ParserException (and its DeepRecursion) carry the mark of the offending token. Its
    // message may quote input bytes, hence the escaping.
    throw ConfigError(location_of(file, e.mark), "", "YAML syntax error: " + escape(e.msg));
  }
}

}  // namespace starttls_exporter::config::detail
