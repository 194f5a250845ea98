#pragma once
/// \file
/// Parsing the YAML text into one document tree. Private to src/config.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/config/config.hpp"

namespace starttls_exporter::config::detail {

/// 1-based location of yaml-cpp's 0-based `mark` in `file`; line 0 when the mark is null.
SourceLocation location_of(const std::string& file, const YAML::Mark& mark);

/// Whole lines of the text that hold whole items of the top-level `targets:` block sequence,
/// from the start of an item's line to the start of the next slice's (or the sequence's end).
struct TextSlice {
  std::size_t begin = 0;
  std::size_t end = 0;
  int first_line = 0;  ///< 0-based line of `begin` in the whole text
};

/// The single YAML document of a configuration file.
///
/// A long `targets:` list is not part of `root`: its node tree (about 1.5 KB per target in
/// yaml-cpp) was the load's memory peak at 100,000 targets. When every item starts on a line of
/// its own ("  - address: …") and the file uses no anchors or aliases, `root` holds `targets:`
/// as null and `target_slices` cut the list into pieces of a few hundred items, each parsed on
/// its own (load_slice) as a block sequence whose marks keep their line and column in the file.
/// Otherwise `target_slices` is empty and `root` holds the whole list.
struct Document {
  YAML::Node root;
  std::string_view text;  ///< the parsed text; it must outlive the Document
  std::vector<TextSlice> target_slices;
  std::size_t target_count = 0;  ///< items in the slices
};

/// Items per slice: a few hundred keeps a slice's tree under a megabyte.
inline constexpr std::size_t kTargetsPerSlice = 256;

/// The single YAML document of `text` (a null node for an empty stream). Throws ConfigError
/// located in `file` for syntax errors and for a stream with more than one document; never
/// lets a yaml-cpp exception escape. `slice_targets` allows the slicing described above.
///
/// Why not YAML::LoadAll: in yaml-cpp 0.7.0 it never returns for some invalid streams (a lone
/// ",": jbeder/yaml-cpp#1040, fixed upstream by #1319), allocating until the process dies. We
/// drive the parser ourselves, a bounded number of documents, and stop when it makes no
/// progress.
Document load_document(const std::string& text, const std::string& file, bool slice_targets);

/// The block sequence in `slice` of `text` (whose whole document load_document has parsed).
/// Its marks' lines count from the slice's first line: add `slice.first_line`.
YAML::Node load_slice(std::string_view text, const TextSlice& slice, const std::string& file);

}  // namespace starttls_exporter::config::detail
