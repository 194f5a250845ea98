// The canned SmtpBehaviour scripts of the SMTP test server, modelled on Postfix's wording.
#include <cctype>
#include <string>
#include <string_view>

#include "smtp_test_server.hpp"

namespace starttls_exporter::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view greeting = "220 mx.test ESMTP Postfix\r\n";
constexpr std::string_view ehlo_with_starttls =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n";
constexpr std::string_view ehlo_without_starttls =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
constexpr std::string_view ready = "220 2.0.0 Ready to start TLS\r\n";

/// True when `line` is the command `verb` (case-insensitive), alone or followed by a space.
bool is_command(const std::string& line, std::string_view verb) {
  if (line.size() < verb.size()) return false;
  for (std::size_t i = 0; i < verb.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(line[i])) != verb[i]) return false;
  }
  const char next = line.size() > verb.size() ? line[verb.size()] : '\n';
  return next == ' ' || next == '\r' || next == '\n';
}

bool expect(SmtpPeer& peer, std::string_view verb) {
  const auto line = peer.read_line();
  return line && is_command(*line, verb);
}

/// Answers QUIT with 221 and anything else with 502, until QUIT or the client leaves.
void serve_until_quit(SmtpPeer& peer) {
  while (const auto line = peer.read_line()) {
    if (is_command(*line, "QUIT")) {
      peer.send("221 2.0.0 Bye\r\n");
      if (peer.tls()) peer.tls()->bye();
      return;
    }
    peer.send("502 5.5.2 Error: command not recognized\r\n");
  }
}

bool greet_and_ehlo(SmtpPeer& peer, std::string_view ehlo_reply = ehlo_with_starttls) {
  return peer.send(greeting) && expect(peer, "EHLO") && peer.send(ehlo_reply);
}

/// Greeting, EHLO and STARTTLS, up to the point where TLS would begin.
bool up_to_starttls(SmtpPeer& peer, std::string_view reply_to_starttls = ready) {
  return greet_and_ehlo(peer) && expect(peer, "STARTTLS") && peer.send(reply_to_starttls);
}

void normal_after_greeting(SmtpPeer& peer) {
  if (!expect(peer, "EHLO") || !peer.send(ehlo_with_starttls)) return;
  if (!expect(peer, "STARTTLS") || !peer.send(ready) || !peer.start_tls()) return;
  serve_until_quit(peer);
}

/// Multiline greeting in pieces; notes whether the client spoke before the final line.
void slow_multiline_greeting(SmtpPeer& peer) {
  for (int i = 1; i <= 3; ++i) {
    if (!peer.send("220-mx.test ESMTP greeting line " + std::to_string(i) + "\r\n")) return;
    if (!peer.pause(100ms)) return;
    if (peer.client_sent_data()) peer.note_spoke_early();
  }
  if (peer.send(greeting)) normal_after_greeting(peer);
}

void greeting_byte_per_second(SmtpPeer& peer) {
  if (!peer.send("220 ")) return;
  while (peer.pause(1s) && peer.send("x")) {
  }
}

void huge_line(SmtpPeer& peer) {
  const std::string chunk(64 * 1024, 'a');
  if (!peer.send("220 ")) return;
  for (int i = 0; i < 256; ++i) {  // 16 MiB, never a CRLF
    if (!peer.send(chunk)) return;
  }
  peer.wait_for_close();
}

void many_continuation_lines(SmtpPeer& peer) {
  std::string lines;
  for (int i = 0; i < 10000; ++i) lines += "220-mx.test line " + std::to_string(i) + "\r\n";
  if (peer.send(lines) && peer.send(greeting)) peer.wait_for_close();
}

void reset_mid_handshake(SmtpPeer& peer) {
  if (!up_to_starttls(peer)) return;
  for (int i = 0; i < 500 && !peer.client_sent_data(); ++i) {
    if (!peer.pause(10ms)) return;
  }
  peer.close(true);  // unread ClientHello bytes plus SO_LINGER 0: the client sees RST
}

}  // namespace

void run_behaviour(SmtpBehaviour behaviour, SmtpPeer& peer) {
  switch (behaviour) {
    case SmtpBehaviour::normal:
      if (peer.send(greeting)) normal_after_greeting(peer);
      return;
    case SmtpBehaviour::slow_multiline_greeting:
      return slow_multiline_greeting(peer);
    case SmtpBehaviour::silent:
      return peer.wait_for_close();
    case SmtpBehaviour::greeting_byte_per_second:
      return greeting_byte_per_second(peer);
    case SmtpBehaviour::greeting_554:
      if (peer.send("554 5.7.1 mx.test ESMTP not accepting connections\r\n")) {
        serve_until_quit(peer);
      }
      return;
    case SmtpBehaviour::greeting_421:
      peer.send("421 4.3.2 mx.test Service not available, closing transmission channel\r\n");
      return peer.close(false);
    case SmtpBehaviour::close_after_accept:
      return peer.close(false);
    case SmtpBehaviour::close_after_ehlo:
      if (peer.send(greeting) && expect(peer, "EHLO")) peer.close(false);
      return;
    case SmtpBehaviour::close_after_starttls:
      if (up_to_starttls(peer)) peer.close(false);
      return;
    case SmtpBehaviour::ehlo_refused_helo_ok:
      if (peer.send(greeting) && expect(peer, "EHLO") &&
          peer.send("502 5.5.2 Error: command not recognized\r\n") && expect(peer, "HELO") &&
          peer.send("250 mx.test\r\n")) {
        serve_until_quit(peer);
      }
      return;
    case SmtpBehaviour::no_starttls:
      if (greet_and_ehlo(peer, ehlo_without_starttls)) serve_until_quit(peer);
      return;
    case SmtpBehaviour::starttls_454:
      if (up_to_starttls(peer, "454 4.7.0 TLS not available due to local problem\r\n")) {
        serve_until_quit(peer);
      }
      return;
    case SmtpBehaviour::huge_line:
      return huge_line(peer);
    case SmtpBehaviour::garbage_greeting:
      if (peer.send(std::string_view("\x16\x03\x01\x00\xff\x01\x00\xfe\x03\x03\r\n", 12))) {
        peer.wait_for_close();
      }
      return;
    case SmtpBehaviour::many_continuation_lines:
      return many_continuation_lines(peer);
    case SmtpBehaviour::response_injection:
      if (up_to_starttls(peer, "220 go ahead\r\n250 injected\r\n")) peer.wait_for_close();
      return;
    case SmtpBehaviour::silent_after_starttls:
      if (up_to_starttls(peer)) peer.wait_for_close();
      return;
    case SmtpBehaviour::reset_mid_handshake:
      return reset_mid_handshake(peer);
    case SmtpBehaviour::tls_alert:
      if (up_to_starttls(peer) && peer.start_tls(false)) {
        peer.tls()->send_fatal_alert_handshake_failure();
      }
      return;
  }
}

}  // namespace starttls_exporter::testing
