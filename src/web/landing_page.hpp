#pragma once
/// \file
/// The HTML page at "/": version, links, and one table row per target, sorted by days until
/// the leaf certificate expires (unknown last). No JavaScript; every text from a config or a
/// server is HTML-escaped.

#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::web {

/// `text` with & < > " ' replaced by character references, safe in element content and in
/// quoted attribute values.
std::string html_escape(std::string_view text);

/// The whole page. `now` is the reference for days to expiry.
std::string render_landing_page(const std::vector<store::TargetSnapshot>& targets, SystemTime now,
                                std::string_view version);

}  // namespace starttls_exporter::web
