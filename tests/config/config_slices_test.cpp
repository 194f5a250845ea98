// A long `targets:` list is read slice by slice (src/config/document.hpp), so its node tree is
// never whole in memory. The result, the error locations and the duplicate checks must be those
// of reading the whole tree.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../../src/config/document.hpp"
#include "starttls_exporter/config/config.hpp"

using namespace starttls_exporter::config;

namespace {

constexpr int kTargets = 700;  // three slices of 256

const char* kHead =
    "global:\n"
    "  interval: 60s\n"
    "modules:\n"
    "  smtp:\n"
    "    protocol: smtp\n"
    "    timeout: 10s\n";

std::string address(int i) {
  return "127.10." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

// Block items in three shapes, comments and blank lines between them, then a later section.
std::string block_config(int bad_index = -1, int duplicate_of = -1) {
  std::string text = std::string(kHead) + "targets:  # the list\n";
  for (int i = 0; i < kTargets; ++i) {
    const std::string ip = i == bad_index                           ? std::string("127.0.0.256")
                           : i == kTargets - 1 && duplicate_of >= 0 ? address(duplicate_of)
                                                                    : address(i);
    if (i % 3 == 0) {
      text += "  - address: " + ip + "\n    module: smtp\n    labels: {n: \"" + std::to_string(i) +
              "\"}\n";
    } else if (i % 3 == 1) {
      text += "  - {address: " + ip + ", module: smtp, port: 2525}\n\n";
    } else {
      text += "  -   address: " + ip + "\n      module: smtp\n# a comment\n      interval: 30s\n";
    }
  }
  return text + "probe_allowed_cidrs: [127.0.0.0/8]\n";
}

// The same targets as one flow sequence: never sliced.
std::string flow_config() {
  std::string text = std::string(kHead) + "targets: [\n";
  for (int i = 0; i < kTargets; ++i) {
    if (i % 3 == 0) {
      text += "{address: " + address(i) + ", module: smtp, labels: {n: \"" + std::to_string(i) +
              "\"}},\n";
    } else if (i % 3 == 1) {
      text += "{address: " + address(i) + ", module: smtp, port: 2525},\n";
    } else {
      text += "{address: " + address(i) + ", module: smtp, interval: 30s},\n";
    }
  }
  return text + "]\nprobe_allowed_cidrs: [127.0.0.0/8]\n";
}

void check_same(const std::vector<Target>& a, const std::vector<Target>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    CHECK(a[i].key() == b[i].key());
    CHECK(a[i].server_name == b[i].server_name);
    CHECK(a[i].interval == b[i].interval);
    CHECK(a[i].labels == b[i].labels);
    CHECK(a[i].certificate_file == b[i].certificate_file);
  }
}

// The 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  const std::size_t pos = text.find(needle);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

// The 1-based line of the item with index `i` in block_config() (its first occurrence).
int line_of_item(const std::string& text, int i) {
  const std::string block = "address: " + address(i) + "\n";
  return line_of(text,
                 text.find(block) != std::string::npos ? block : "address: " + address(i) + ",");
}

}  // namespace

TEST_CASE("a long block list of targets is sliced, and reads as the whole tree would") {
  const std::string text = block_config();
  const detail::Document document = detail::load_document(text, "t.yaml", true);
  CHECK(document.target_slices.size() == 3);
  CHECK(document.target_count == kTargets);
  CHECK(document.root["targets"].IsNull());

  const Config sliced = parse_config(text, "t.yaml");
  const Config whole = parse_config(flow_config(), "t.yaml");
  check_same(sliced.targets, whole.targets);
  CHECK(sliced.targets[1].port == 2525);
  CHECK(sliced.targets[2].interval == std::chrono::seconds(30));
  CHECK(sliced.probe_allowed_cidrs.size() == 1);  // the section after the list is read
  CHECK(sliced.source_text == text);
}

TEST_CASE("an error in a later slice names its line and column in the file") {
  const int bad = 600;  // in the third slice
  const std::string text = block_config(bad);
  const int line = line_of(text, "127.0.0.256");
  try {
    (void)parse_config(text, "t.yaml");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.where().line == line);
    CHECK(e.where().column == 14);
    CHECK(e.key() == "targets[600].address");
  }
}

TEST_CASE("a duplicate across slices names the first one's index and line") {
  const std::string text = block_config(-1, 5);
  try {
    (void)parse_config(text, "t.yaml");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    const std::string first_line = std::to_string(line_of_item(text, 5));
    CHECK(e.key() == "targets[699]");
    CHECK(std::string(e.what()).find("same as targets[5] at line " + first_line) !=
          std::string::npos);
  }
}

TEST_CASE("lists that cannot be sliced safely are read whole") {
  SUBCASE("anchors and aliases") {
    std::string text = block_config();
    text.replace(text.find("module: smtp"), 12, "module: &m smtp");
    text.replace(text.rfind("module: smtp"), 12, "module: *m");
    const detail::Document document = detail::load_document(text, "t.yaml", true);
    CHECK(document.target_slices.empty());
    check_same(parse_config(text, "t.yaml").targets,
               parse_config(block_config(), "t.yaml").targets);
  }
  SUBCASE("a first item whose dash is on a line of its own") {
    std::string text = std::string(kHead) +
                       "targets:\n  -\n    address: 127.0.0.1\n    module: smtp\n" +
                       "  - address: 127.0.0.2\n    module: smtp\n";
    const detail::Document document = detail::load_document(text, "t.yaml", true);
    CHECK(document.target_slices.empty());
    CHECK(parse_config(text, "t.yaml").targets.size() == 2);
  }
  SUBCASE("a byte-order mark shifts yaml-cpp's positions") {
    const std::string text = "\xEF\xBB\xBF" + block_config();
    CHECK(parse_config(text, "t.yaml").targets.size() == kTargets);
  }
}
