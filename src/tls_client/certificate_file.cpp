// certificate_file: the PEM a daemon is meant to serve, read certificates only, re-read when it
// changes, and judged beside the served leaf and against the TLSA records (RFC 7672 §3).
#include "starttls_exporter/tls_client/certificate_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string_view>

#include "certificate_facts.hpp"
#include "dane_match.hpp"
#include "handles.hpp"
#include "starttls_exporter/core/files.hpp"
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::tls {
namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

/// The certificate of one PEM block, or null when it does not parse.
CrtPtr import_certificate(std::string_view data, gnutls_x509_crt_fmt_t format) {
  gnutls_x509_crt_t raw = nullptr;
  if (gnutls_x509_crt_init(&raw) < 0) return nullptr;
  CrtPtr crt(raw);
  gnutls_datum_t datum{reinterpret_cast<unsigned char*>(const_cast<char*>(data.data())),
                       static_cast<unsigned>(data.size())};
  if (gnutls_x509_crt_import(raw, &datum, format) < 0) return nullptr;
  return crt;
}

std::vector<unsigned char> der_of(gnutls_x509_crt_t crt) {
  gnutls_datum_t out{};
  if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &out) < 0) return {};
  const GnutlsBytes owned(out.data);
  return {out.data, out.data + out.size};
}

/// Every certificate of `pem` in order; fails (problem set) on a block that does not parse.
void parse_pem(std::string_view pem, CertificateFileContent& file) {
  std::vector<CrtPtr> chain;
  for (auto at = pem.find(kBegin); at != std::string_view::npos; at = pem.find(kBegin, at + 1)) {
    const auto end = pem.find(kEnd, at);
    if (end == std::string_view::npos) break;
    CrtPtr crt = import_certificate(pem.substr(at, end + kEnd.size() - at), GNUTLS_X509_FMT_PEM);
    std::vector<unsigned char> der = crt ? der_of(crt.get()) : std::vector<unsigned char>{};
    if (der.empty()) {
      file.problem = "certificate " + std::to_string(file.der.size() + 1) + " does not parse";
      return;
    }
    file.chain.push_back(certificate_facts_of(crt.get(), der));
    file.der.push_back(std::move(der));
    chain.push_back(std::move(crt));
  }
  if (file.der.empty()) {
    file.problem = "holds no PEM certificate";
    return;
  }
  // What to publish for this leaf does not depend on any TLSA RRset: once per read.
  file.leaf_record =
      check_dane(chain, dane::DaneExpectation{}, std::chrono::system_clock::now()).leaf_record;
}

CertificateFileContent read_one(const std::string& path) {
  CertificateFileContent file;
  file.path = path;
  std::string bytes;
  if (const auto problem = read_regular_file(path, bytes, kMaxCertificateFileBytes)) {
    file.problem = *problem;
  } else if (text::pem_holds_private_key(bytes)) {
    file.problem = "holds a private key (the exporter reads certificates only)";
  } else {
    parse_pem(bytes, file);
  }
  if (!file.problem.empty()) {
    file.der.clear();
    file.chain = {};
    file.leaf_record.clear();
  }
  return file;
}

/// What tells a changed file: path, mtime to the nanosecond, size, inode (a renewal that
/// replaces the file by rename keeps neither).
std::string stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + " missing";
  return path + ' ' + std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) +
         ' ' + std::to_string(st.st_size) + ' ' + std::to_string(st.st_ino);
}

bool names(const CertificateFacts& leaf, const std::string& server_name) {
  return std::find(leaf.dns_names.begin(), leaf.dns_names.end(), server_name) !=
         leaf.dns_names.end();
}

/// The file judged: among readable files naming `server_name` (all readable ones when it is
/// empty or none names it), the one whose leaf was issued last. Null when none is readable.
const CertificateFileContent* chosen_file(const CertificateFileSet& files,
                                          const std::string& server_name) {
  const CertificateFileContent* best = nullptr;
  bool best_names = false;
  for (const auto& file : files) {
    if (file.chain.empty()) continue;
    const bool file_names = !server_name.empty() && names(file.chain.front(), server_name);
    if (best != nullptr && best_names && !file_names) continue;
    if (best == nullptr || (file_names && !best_names) ||
        file.chain.front().not_before > best->chain.front().not_before) {
      best = &file;
      best_names = file_names;
    }
  }
  return best;
}

std::string problems_of(const CertificateFileSet& files, const std::string& pattern) {
  if (files.empty()) return "no file matches " + pattern;
  std::string detail;
  for (const auto& file : files) {
    if (!detail.empty()) detail += "; ";
    detail += file.path + ": " + file.problem;
  }
  return detail;
}

bool dane_applies(const dane::DaneExpectation* dane) {
  return dane != nullptr && dane->tlsa.status == dane::TlsaStatus::secure &&
         !policy::usable_records(dane->tlsa.records, dane->tlsa.rules).empty();
}

/// The file's chain by DANE, as the daemon would present it. PKIX-TA and PKIX-EE records
/// (services) are judged by their match: the file is not validated against trust anchors
/// here; the served chain is, at every probe.
dane::DaneCheck check_file_chain(const CertificateFileContent& file,
                                 const dane::DaneExpectation& dane, SystemTime now) {
  std::vector<CrtPtr> chain;
  for (const auto& der : file.der) {
    const std::string_view bytes(reinterpret_cast<const char*>(der.data()), der.size());
    CrtPtr crt = import_certificate(bytes, GNUTLS_X509_FMT_DER);
    if (!crt) break;
    chain.push_back(std::move(crt));
  }
  return check_dane(chain, dane, now, /*pkix_verified=*/true);
}

}  // namespace

CertificateFileSet read_certificate_files(const std::string& pattern) {
  CertificateFileSet files;
  for (const auto& path : matching_files(pattern)) files.push_back(read_one(path));
  return files;
}

std::shared_ptr<const CertificateFileSet> CertificateFiles::current(const std::string& pattern) {
  const std::lock_guard lock(mutex_);
  Watch& watch = watches_[pattern];
  const auto now = Clock::now();
  if (watch.files && now - watch.looked < poll_) return watch.files;
  watch.looked = now;
  std::vector<std::string> stamps;
  for (const auto& path : matching_files(pattern)) stamps.push_back(stamp_of(path));
  if (!watch.files || stamps != watch.stamps) {
    watch.files = std::make_shared<const CertificateFileSet>(read_certificate_files(pattern));
    watch.stamps = std::move(stamps);
  }
  return watch.files;
}

CertificateFileCheck check_certificate_file(const CertificateFileSet& files,
                                            const std::string& pattern,
                                            const std::string& server_name,
                                            const CertificateChain* served,
                                            const dane::DaneExpectation* dane, SystemTime now) {
  CertificateFileCheck check;
  const CertificateFileContent* file = chosen_file(files, server_name);
  if (file == nullptr) {
    check.path = files.size() == 1 ? files.front().path : pattern;
    check.status = CertificateFileStatus::unreadable;
    check.detail = problems_of(files, pattern);
    return check;
  }
  check.path = file->path;
  check.leaf = file->chain.front();
  if (served != nullptr && !served->empty()) {
    check.status = policy::certificate_file_status(*check.leaf, served->front());
    check.served_matches = check.status == CertificateFileStatus::current;
  }
  check.leaf_record = file->leaf_record;
  if (dane_applies(dane)) check.dane_match = check_file_chain(*file, *dane, now).matched;
  return check;
}

}  // namespace starttls_exporter::tls
