#pragma once
/// \file
/// `starttls_exporter tlsrpt show FILE [--output=text|json]`: one TLS-RPT report file (.json,
/// or gzip whatever its name) printed for on-call.

#include <string>
#include <vector>

namespace starttls_exporter::app {

/// `args` are those after "tlsrpt". Returns 0 when the report was read and printed, 1 when it
/// was refused (the reason on stderr, as intake would log it), 2 for usage or I/O errors.
int tlsrpt_command(const std::vector<std::string>& args);

}  // namespace starttls_exporter::app
