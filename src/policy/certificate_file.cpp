// certificate_file_status: what a renewal on disk means beside the certificate served.
#include <algorithm>

#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::policy {
namespace {

bool share_a_name(const CertificateFacts& a, const CertificateFacts& b) {
  return std::any_of(a.dns_names.begin(), a.dns_names.end(), [&](const std::string& name) {
    return std::find(b.dns_names.begin(), b.dns_names.end(), name) != b.dns_names.end();
  });
}

}  // namespace

CertificateFileStatus certificate_file_status(const CertificateFacts& file_leaf,
                                              const CertificateFacts& served_leaf) {
  if (file_leaf.sha256_hex == served_leaf.sha256_hex) return CertificateFileStatus::current;
  if (!share_a_name(file_leaf, served_leaf)) return CertificateFileStatus::different;
  if (file_leaf.not_before > served_leaf.not_before) {
    return CertificateFileStatus::renewed_not_served;
  }
  if (file_leaf.not_before < served_leaf.not_before) return CertificateFileStatus::file_older;
  return CertificateFileStatus::different;
}

}  // namespace starttls_exporter::policy
