// The hostile half of bench/soak: one SmtpTestServer (tests/support) per canned behaviour, each
// on its own loopback address, until SIGTERM or SIGINT.
//
// Usage: soak_server PREFIX PORT CA_PEM_OUT
//   Behaviour i (0-based, in the order below) listens on PREFIX.(i+1):PORT, where PREFIX is
//   three octets inside 127/8 ("127.30.0"). The servers' leaf certificate (CN and SAN mx.test)
//   is issued by a fresh test CA, written to CA_PEM_OUT for the exporter's ca_file.
//   Prints one line per server, "<behaviour> <address>:<port>", then "ready".
// Built by bench/soak with g++ from tests/support; not part of the meson build.

#include <signal.h>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "smtp_test_server.hpp"
#include "test_pki.hpp"

using starttls_exporter::testing::SmtpBehaviour;
using starttls_exporter::testing::SmtpServerOptions;
using starttls_exporter::testing::SmtpTestServer;
using starttls_exporter::testing::TestCa;

namespace {

const std::vector<std::pair<SmtpBehaviour, const char*>> behaviours = {
    {SmtpBehaviour::normal, "normal"},
    {SmtpBehaviour::slow_multiline_greeting, "slow_multiline_greeting"},
    {SmtpBehaviour::silent, "silent"},
    {SmtpBehaviour::greeting_byte_per_second, "greeting_byte_per_second"},
    {SmtpBehaviour::greeting_554, "greeting_554"},
    {SmtpBehaviour::greeting_421, "greeting_421"},
    {SmtpBehaviour::close_after_accept, "close_after_accept"},
    {SmtpBehaviour::close_after_ehlo, "close_after_ehlo"},
    {SmtpBehaviour::close_after_starttls, "close_after_starttls"},
    {SmtpBehaviour::ehlo_refused_helo_ok, "ehlo_refused_helo_ok"},
    {SmtpBehaviour::no_starttls, "no_starttls"},
    {SmtpBehaviour::starttls_454, "starttls_454"},
    {SmtpBehaviour::huge_line, "huge_line"},
    {SmtpBehaviour::garbage_greeting, "garbage_greeting"},
    {SmtpBehaviour::many_continuation_lines, "many_continuation_lines"},
    {SmtpBehaviour::response_injection, "response_injection"},
    {SmtpBehaviour::silent_after_starttls, "silent_after_starttls"},
    {SmtpBehaviour::reset_mid_handshake, "reset_mid_handshake"},
    {SmtpBehaviour::tls_alert, "tls_alert"},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: soak_server PREFIX PORT CA_PEM_OUT\n";
    return 2;
  }
  const std::string prefix = argv[1];
  const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by the server threads

  const TestCa ca("Soak Test CA");
  ca.write_cert_pem(argv[3]);
  const auto cert = ca.issue({});
  std::vector<std::unique_ptr<SmtpTestServer>> servers;
  for (std::size_t i = 0; i < behaviours.size(); ++i) {
    SmtpServerOptions options;
    options.behaviour = behaviours[i].first;
    options.cert = cert;
    options.address = prefix + "." + std::to_string(i + 1);
    options.port = port;
    servers.push_back(std::make_unique<SmtpTestServer>(options));
    std::cout << behaviours[i].second << " " << options.address << ":" << port << "\n";
  }
  std::cout << "ready" << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "stopping after " << servers.front()->connections() << " connections to "
            << behaviours.front().second << std::endl;
  return 0;
}
