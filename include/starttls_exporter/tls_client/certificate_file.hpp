#pragma once
/// \file
/// The certificate file a daemon is meant to serve (certificate_file): read certificates only,
/// re-read when it changes, and judged beside the leaf a probe was served, and against the
/// address's TLSA records before the daemon reloads it.
///
/// Threading: CertificateFiles is safe from any thread; the rest are pure functions.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "starttls_exporter/core/dane.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::tls {

/// One file a pattern matched, as it was last read.
struct CertificateFileContent {
  std::string path;
  std::vector<std::vector<unsigned char>> der;  ///< each certificate in file order (leaf first)
  CertificateChain chain;                       ///< their facts, in the same order
  std::string leaf_record;  ///< "3 1 1 HEX" for the leaf's key, computed once at read
  std::string problem;      ///< why the file is unreadable (then `der` is empty); else empty
};
using CertificateFileSet = std::vector<CertificateFileContent>;

/// Every file `pattern` matches now, read within kMaxCertificateFileBytes, certificates only: a
/// file holding a private key is refused (problem set, nothing of it kept). Never throws but
/// std::bad_alloc.
CertificateFileSet read_certificate_files(const std::string& pattern);

/// The files of every pattern asked for, each re-read when a match's mtime, size or inode
/// changes or the set of matches does; the disk is looked at no more than once per `poll` per
/// pattern. What a running exporter shares between its probes.
class CertificateFiles {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CertificateFiles(Clock::duration poll = std::chrono::seconds(5)) : poll_(poll) {}

  /// The files of `pattern` as of at most `poll` ago.
  std::shared_ptr<const CertificateFileSet> current(const std::string& pattern);

 private:
  struct Watch {
    Clock::time_point looked{};
    std::vector<std::string> stamps;  ///< path, mtime, size and inode of each match
    std::shared_ptr<const CertificateFileSet> files;
  };
  Clock::duration poll_;
  std::mutex mutex_;
  std::map<std::string, Watch> watches_;
};

/// One probe's certificate-file check. Of the readable files, those whose leaf names
/// `server_name` (all when it is empty or none does), the one with the latest leaf (issued
/// last) is judged: against `served` (the leaf the server sent; null without a handshake) by
/// policy::certificate_file_status, and its chain against `dane` when DANE applies (secure,
/// usable TLSA records), as a sender would judge it once the daemon serves it (RFC 7672 §3).
/// No readable file: unreadable, with every file's problem in the detail.
CertificateFileCheck check_certificate_file(const CertificateFileSet& files,
                                            const std::string& pattern,
                                            const std::string& server_name,
                                            const CertificateChain* served,
                                            const dane::DaneExpectation* dane, SystemTime now);

}  // namespace starttls_exporter::tls
