#pragma once
/// \file
/// The probe command's domain form: resolve one mail domain now (MX, addresses, DNSSEC, with
/// the exporter's own resolver) and probe every address with its MX host's name.

#include <cstdint>
#include <string>

#include "probe_command.hpp"

namespace starttls_exporter::app {

/// Runs the domain form and prints its report; returns the exit code (0: the domain is fully
/// deliverable, 1: it is not, 2: setup error). `colour`: ANSI colours in the text report.
int probe_domain_command(const ProbeFlags& flags, const std::string& domain, std::uint16_t port,
                         bool port_given, bool colour);

}  // namespace starttls_exporter::app
