// certificate_file: checked at load so that a typo or a key file fails with file:line, while
// the file itself is re-read by the prober whenever it changes.
#include <filesystem>

#include "sections.hpp"
#include "starttls_exporter/core/files.hpp"
#include "starttls_exporter/core/text.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {
CertificateFileSetting parse_certificate_file(const Entry& entry, const Reader& reader) {
  const std::string text = reader.scalar(entry, "a file name or a glob");
  if (text.empty()) reader.fail(entry, "must not be empty (leave it out when there is no file)");
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(reader.file()).parent_path() / path;
  CertificateFileSetting setting{path.string(), reader.location(entry)};
  const auto files = matching_files(setting.pattern);
  if (files.empty()) reader.fail(entry, quote(setting.pattern, 1024) + " matches no file");
  for (const auto& file : files) {
    std::string bytes;
    if (const auto problem = read_regular_file(file, bytes, kMaxCertificateFileBytes)) {
      reader.fail(entry, "cannot read " + quote(file, 1024) + ": " + *problem);
    }
    if (text::pem_holds_private_key(bytes)) {
      reader.fail(entry, quote(file, 1024) +
                             " holds a private key: the exporter reads certificates only; name "
                             "the certificate file (fullchain.pem), not the key or a combined "
                             "file");
    }
    if (bytes.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      reader.fail(entry, quote(file, 1024) + " holds no PEM certificate");
    }
  }
  return setting;
}

}  // namespace starttls_exporter::config::detail
