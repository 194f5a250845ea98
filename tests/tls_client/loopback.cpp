#include "loopback.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <filesystem>
#include <stdexcept>

namespace starttls_exporter::testing {

LoopbackServer::LoopbackServer(std::function<void(int fd)> script) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 4) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("loopback listener failed");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this, script = std::move(script)] {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;  // the client never came: the test fails anyway
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    script(fd);
    ::close(fd);
  });
}

LoopbackServer::~LoopbackServer() {
  thread_.join();
  ::close(listener_);
}

void drain_until_eof(int fd) {
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 1 && ::recv(fd, buf, sizeof buf, 0) <= 0) return;
  }
}

std::function<void(int)> serve_tls(IssuedCert cert, TlsServerOptions options) {
  return [cert = std::move(cert), options = std::move(options)](int fd) {
    TlsServerSession session(fd, cert, options);
    if (!session.handshake()) return;
    if (session.read_line() == "QUIT\r\n") session.write("221 bye\r\n");
    session.bye();
    drain_until_eof(fd);
  };
}

std::shared_ptr<const tls::TrustStore> trust_of(const TestCa& ca) {
  static std::atomic<int> counter{0};
  const auto path =
      std::filesystem::temp_directory_path() /
      ("tls_test_ca_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".pem");
  ca.write_cert_pem(path.string());
  auto trust = tls::TrustStore::from_pem_file(path.string());
  std::filesystem::remove(path);
  return trust;
}

namespace {

asio::awaitable<void> client_script(asio::ip::tcp::socket& socket, tls::ClientSession& session,
                                    ClientRun& run, asio::steady_timer& timer) {
  run.outcome = co_await session.handshake();
  if (run.outcome.completed) {
    run.facts = session.facts();
    run.verdict = session.verify();
    if (!co_await session.write_all("QUIT\r\n")) {
      char buf[512];
      while (run.reply.find('\n') == std::string::npos) {
        std::size_t n = 0;
        if (co_await session.read_some(buf, n)) break;
        run.reply.append(buf, n);
      }
    }
    session.send_close_notify();
  }
  timer.cancel();
  socket.close();
}

}  // namespace

ClientRun run_client(unsigned short port, const ClientOptions& options) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), port});
  const auto started = std::chrono::steady_clock::now();
  tls::ClientSession session(socket, {options.trust, options.server_name, options.versions,
                                      options.key_type, options.chain_cache});
  ClientRun run;
  asio::steady_timer timer(io);
  if (options.close_after) {
    timer.expires_after(*options.close_after);
    timer.async_wait([&](std::error_code ec) {
      if (!ec) socket.close();
    });
  }
  if (options.close_before_handshake) socket.close();
  asio::co_spawn(io, client_script(socket, session, run, timer), asio::detached);
  io.run();
  run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return run;
}

}  // namespace starttls_exporter::testing
