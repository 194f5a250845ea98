#pragma once
/// \file
/// One address's report as a JSON value, for the address and domain forms. Private to
/// src/report.

#include <nlohmann/json.hpp>

#include <string>

#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::report {

/// json_report()'s object, before it is written.
nlohmann::ordered_json address_json(const ProbeRequest& request, const ProbeResult& result,
                                    SystemTime now);

/// `json` on one line, then a newline; bytes that are not UTF-8 become U+FFFD.
std::string dump(const nlohmann::ordered_json& json);

}  // namespace starttls_exporter::report
