// The certificate_file check: a signal of its own beside the probe; `success` stays.
#include "certificate_file_check.hpp"

#include <chrono>
#include <memory>

namespace starttls_exporter::prober {

void check_certificate_file(ProbeResult& result, const ProbeSpec& spec) {
  if (spec.certificate_file.empty()) return;
  const auto files = spec.certificate_files != nullptr
                         ? spec.certificate_files->current(spec.certificate_file)
                         : std::make_shared<const tls::CertificateFileSet>(
                               tls::read_certificate_files(spec.certificate_file));
  result.certificate_file = tls::check_certificate_file(
      *files, spec.certificate_file, spec.server_name, result.tls ? &result.tls->chain : nullptr,
      spec.dane.get(), std::chrono::system_clock::now());
}

}  // namespace starttls_exporter::prober
