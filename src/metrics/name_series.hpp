#pragma once
/// \file
/// The families of one verified name across every address and port probed under it. Private
/// to src/metrics.

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::metrics {

/// probe_name_distinct_certificates{server_name}: for each name two or more targets are probed
/// under, the distinct leaves (by SHA-256) their last handshakes presented (a page of targets
/// with a name each carries none); and, only for names with more than one leaf,
/// probe_name_certificate_info{server_name, target, module, fingerprint_sha256}: which target
/// serves which leaf (what the alert text lists).
std::vector<prometheus::MetricFamily> name_families(
    const std::vector<store::TargetSnapshot>& snapshot);

/// The names name_families() can emit (for the README check).
std::vector<std::string> name_family_names();

}  // namespace starttls_exporter::metrics
