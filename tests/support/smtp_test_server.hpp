#pragma once
/// \file
/// A scripted SMTP server on 127.0.0.1 (ephemeral port) for prober tests. Each accepted
/// connection runs a behaviour on its own thread with blocking sockets and poll timeouts
/// (or, with SmtpServerOptions::park, is held silently on the acceptor thread). The destructor
/// stops everything promptly: it shuts the descriptors down (waking every blocked thread) before
/// joining, so a test never hangs on a stuck connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_pki.hpp"
#include "tls_server.hpp"

namespace starttls_exporter::testing {

/// Canned behaviours; each is described where it is implemented (smtp_test_server.cpp).
enum class SmtpBehaviour {
  normal,                    ///< 220, EHLO 250 with STARTTLS, 220, TLS, QUIT -> 221
  slow_multiline_greeting,   ///< "220-" lines with pauses before the final "220 "
  silent,                    ///< accepts, never sends
  greeting_byte_per_second,  ///< "220 " then one byte a second, no CRLF, forever
  greeting_554,
  greeting_421,
  close_after_accept,
  close_after_ehlo,      ///< reads EHLO, closes without replying
  close_after_starttls,  ///< replies 220 to STARTTLS, then closes
  ehlo_refused_helo_ok,  ///< EHLO -> 502, HELO -> 250
  no_starttls,           ///< EHLO reply without STARTTLS
  starttls_454,
  huge_line,                ///< 16 MiB greeting line without CRLF
  garbage_greeting,         ///< binary bytes instead of a greeting
  many_continuation_lines,  ///< 10,000 "220-" lines
  response_injection,       ///< "220 go ahead\r\n250 injected\r\n" in one write
  silent_after_starttls,    ///< 220 to STARTTLS, then silence
  reset_mid_handshake,      ///< reads ClientHello bytes, then closes with RST (SO_LINGER 0)
  tls_alert,                ///< answers the ClientHello with a fatal handshake_failure alert
};

/// One accepted connection, as scripts see it. Used only by its connection's thread.
class SmtpPeer {
 public:
  virtual ~SmtpPeer() = default;
  /// Sends `data` (over TLS after start_tls()). False when the client is gone or stopping.
  virtual bool send(std::string_view data) = 0;
  /// The next line with its terminator; nullopt on EOF, error, stop or timeout. Each line read
  /// is recorded (without terminator) in SmtpTestServer::received().
  virtual std::optional<std::string> read_line(
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) = 0;
  /// Starts server-side TLS with the server's certificate and, when `handshake`, runs the
  /// handshake (false on failure). Without it, scripts drive tls() themselves (alerts).
  virtual bool start_tls(bool handshake = true) = 0;
  /// True when the client has sent bytes not yet read (checked without waiting).
  virtual bool client_sent_data() = 0;
  /// Sleeps unless the server stops first (then returns false).
  virtual bool pause(std::chrono::milliseconds duration) = 0;
  /// Discards input until the client closes the connection or the server stops.
  virtual void wait_for_close() = 0;
  /// Closes now: with RST when `reset`, else with FIN.
  virtual void close(bool reset) = 0;
  /// The TLS session after start_tls() (for alerts and close_notify), else nullptr.
  virtual TlsServerSession* tls() = 0;
  /// Marks that the client talked before the greeting was complete.
  virtual void note_spoke_early() = 0;
};

using SmtpScript = std::function<void(SmtpPeer&)>;

/// Plays a canned behaviour on `peer` (smtp_test_behaviours.cpp).
void run_behaviour(SmtpBehaviour behaviour, SmtpPeer& peer);

struct SmtpServerOptions {
  SmtpBehaviour behaviour = SmtpBehaviour::normal;
  SmtpScript script;               ///< when set, replaces `behaviour`
  std::optional<IssuedCert> cert;  ///< needed by every behaviour that reaches TLS
  TlsServerOptions tls;
  /// Accepts every connection on the acceptor thread and holds it without a thread of its
  /// own, never sending: a silent server for thousands of connections. A parked connection is
  /// closed when the client closes it (then it counts as finished) or when the server stops.
  /// `behaviour` and `script` are ignored.
  bool park = false;
  /// Where to listen: an IPv4 loopback address (127.0.0.0/8) and a port (0: ephemeral).
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
};

class SmtpTestServer {
 public:
  /// Listens at once. Throws std::runtime_error when the socket cannot be set up.
  explicit SmtpTestServer(SmtpServerOptions options);
  ~SmtpTestServer();
  SmtpTestServer(const SmtpTestServer&) = delete;
  SmtpTestServer& operator=(const SmtpTestServer&) = delete;

  std::uint16_t port() const noexcept;
  /// Every line the clients sent, in order, without terminators. Thread-safe copy.
  std::vector<std::string> received() const;
  int connections() const noexcept;
  bool client_spoke_early() const noexcept;
  bool tls_established() const noexcept;
  /// Blocks up to `timeout` until `count` connection threads have finished their script.
  bool wait_finished(int count, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::testing
