#pragma once
/// \file
/// Test harness for tests/tls: a one-connection loopback server running a script on its own
/// thread, and a client that runs ClientSession on an io_context until it is done.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "starttls_exporter/tls_client/tls_client.hpp"
#include "test_pki.hpp"
#include "tls_server.hpp"

namespace starttls_exporter::testing {

/// Listens on 127.0.0.1, port 0; accepts one connection and runs `script(fd)` on a thread.
/// The destructor joins the thread and closes both descriptors.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int fd)> script);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  unsigned short port() const { return port_; }

 private:
  int listener_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
};

/// What the client saw.
struct ClientRun {
  tls::HandshakeOutcome outcome;
  TlsFacts facts;
  VerifyVerdict verdict;
  std::string reply;                  ///< the server's reply to "QUIT\r\n" after the handshake
  std::chrono::milliseconds elapsed;  ///< from connect to the end of the coroutine
};

struct ClientOptions {
  ClientOptions() = default;
  ClientOptions(std::shared_ptr<const tls::TrustStore> t, std::string name)
      : trust(std::move(t)), server_name(std::move(name)) {}

  std::shared_ptr<const tls::TrustStore> trust;
  std::string server_name = "mx.test";
  /// When set, the socket is closed after this long: the deadline contract.
  std::optional<std::chrono::milliseconds> close_after;
  bool close_before_handshake = false;
  tls::VersionOffer versions = tls::VersionOffer::all;
  std::optional<KeyType> key_type;
  tls::ChainCache* chain_cache = nullptr;  ///< as ClientSettings::chain_cache
};

/// Connects to 127.0.0.1:`port`, handshakes, records facts and verdict, sends QUIT and reads
/// one reply line. Runs its own io_context on the calling thread.
ClientRun run_client(unsigned short port, const ClientOptions& options);

/// The usual server script: handshake with `cert`, answer "QUIT" with "221 bye", close_notify.
std::function<void(int)> serve_tls(IssuedCert cert, TlsServerOptions options = {});

/// Writes `ca`'s certificate to a fresh temporary file and loads it as a trust store.
std::shared_ptr<const tls::TrustStore> trust_of(const TestCa& ca);

/// Waits (up to 5 s) until the client has closed its end, so closing `fd` sends no RST.
void drain_until_eof(int fd);

}  // namespace starttls_exporter::testing
