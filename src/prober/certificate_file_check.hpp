#pragma once
/// \file
/// The certificate_file check after a probe (README "Renewals"). Private to src/prober.

#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

/// Sets result.certificate_file when `spec` names a certificate file: the file as the running
/// exporter keeps it (spec.certificate_files), else read now, judged beside the leaf served
/// and by the address's DANE expectation. Never changes `success`.
void check_certificate_file(ProbeResult& result, const ProbeSpec& spec);

}  // namespace starttls_exporter::prober
