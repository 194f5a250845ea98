#pragma once
/// \file
/// The GnuTLS layer every TLS-owning area shares: its error type, trust stores and version.
/// Only src/gnutls, src/tls_client and src/web/tls include GnuTLS; this header hides it
/// behind pimpl.
///
/// Threading: a TrustStore is immutable after construction and shared across threads.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace starttls_exporter::tls {

/// A GnuTLS failure outside a probe (loading a CA file, ...). what() carries GnuTLS' own message.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Trust anchors plus client credentials, built once per module and shared by all its probes.
class TrustStore {
 public:
  /// The system trust store. Throws TlsError when it cannot be loaded.
  static std::shared_ptr<const TrustStore> system();
  /// The CA certificates in `pem` (one or more PEM blocks, handed to GnuTLS from memory).
  /// Throws TlsError starting with `origin` ("CA file /etc/x.pem") when none parses.
  static std::shared_ptr<const TrustStore> from_pem(std::string_view pem,
                                                    const std::string& origin);
  /// from_pem() of the file's bytes, read once. Throws TlsError (naming the file) when
  /// unreadable, not PEM, or empty.
  static std::shared_ptr<const TrustStore> from_pem_file(const std::string& path);

  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit TrustStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The GnuTLS runtime version ("3.7.9"), for build_info.
std::string library_version();

}  // namespace starttls_exporter::tls
