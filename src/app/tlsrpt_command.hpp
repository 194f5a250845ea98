#pragma once
/// \file
/// `starttls_exporter tlsrpt show FILE [--output=text|json]`: one TLS-RPT report file (.json,
/// gzip or a report mail, by its bytes) printed for on-call. `starttls_exporter tlsrpt import
/// [--config.file=PATH] FILE...`: reports kept in the configuration's tlsrpt.database through
/// the exporter's own intake path.

#include <string>
#include <vector>

namespace starttls_exporter::app {

/// `args` are those after "tlsrpt". Returns 0 when every report was printed or kept, 1 when
/// one was refused (the reason on stderr, as intake logs it), 2 for usage, I/O or database
/// errors.
int tlsrpt_command(const std::vector<std::string>& args);

}  // namespace starttls_exporter::app
