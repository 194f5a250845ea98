#pragma once
/// \file
/// Parsing the YAML text into one document tree. Private to src/config.

#include <yaml-cpp/yaml.h>

#include <string>

#include "starttls_exporter/config/config.hpp"

namespace starttls_exporter::config::detail {

/// 1-based location of yaml-cpp's 0-based `mark` in `file`; line 0 when the mark is null.
SourceLocation location_of(const std::string& file, const YAML::Mark& mark);

/// The single YAML document of `text` (a null node for an empty stream). Throws ConfigError
/// located in `file` for syntax errors and for a stream with more than one document; never
/// lets a yaml-cpp exception escape.
///
/// Why not YAML::LoadAll: in yaml-cpp 0.7.0 it never returns for some invalid streams (a lone
/// ",": jbeder/yaml-cpp#1040, fixed upstream by #1319), allocating until the process dies. We
/// drive the parser ourselves, a bounded number of documents, and stop when it makes no
/// progress.
YAML::Node load_document(const std::string& text, const std::string& file);

}  // namespace starttls_exporter::config::detail
