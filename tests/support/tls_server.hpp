#pragma once
/// \file
/// Blocking server-side TLS on an already accepted descriptor, for scripted test servers.
/// One TlsServerSession is used by one thread (each test server connection runs on its own).
/// Works on blocking and non-blocking descriptors alike (waits with poll).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_pki.hpp"

namespace starttls_exporter::testing {

struct TlsServerOptions {
  /// GnuTLS priority string, e.g. "NORMAL:-VERS-ALL:+VERS-TLS1.2".
  std::string priorities = "NORMAL";
  /// DER OCSP response stapled for the leaf when the client asks (test_ocsp.hpp); empty: none.
  std::vector<unsigned char> ocsp_response = {};
  /// Sends IssuedCert::chain_pem exactly as written (order, gaps, extras). By default GnuTLS
  /// sorts a server's chain and drops certificates that do not belong; this bypasses that.
  bool chain_verbatim = false;
  /// A second certificate of another key type (an RSA one beside an ECDSA one): GnuTLS then
  /// picks per handshake by the client's signature algorithms, as dual-certificate MTAs do.
  /// Not combined with chain_verbatim or ocsp_response.
  std::optional<IssuedCert> second_cert = std::nullopt;
};

class TlsServerSession {
 public:
  /// Does not own `fd`; the caller closes it after the session is gone. Throws
  /// std::runtime_error when the certificate or priorities are unusable.
  TlsServerSession(int fd, const IssuedCert& cert, TlsServerOptions options = {});
  ~TlsServerSession();
  TlsServerSession(const TlsServerSession&) = delete;
  TlsServerSession& operator=(const TlsServerSession&) = delete;

  /// Runs the server handshake. False on any failure or when `timeout` passes.
  bool handshake(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Sends all of `data` as application data. False on failure.
  bool write(std::string_view data);
  /// The next line including its CRLF (or LF), nullopt on EOF, error or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Plays "the server rejects the handshake with a TLS alert": reads the ClientHello, then
  /// sends a fatal handshake_failure alert. Use instead of handshake().
  void send_fatal_alert_handshake_failure();
  /// Sends close_notify, best effort, without waiting for the client's.
  void bye();
  /// The SNI host name the client sent ("" when none); meaningful after handshake().
  std::string client_server_name() const;
  /// The last GnuTLS error text, for test diagnostics ("" when none).
  const std::string& last_error() const;

  struct Impl;  // public only so the transport callbacks can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::testing
