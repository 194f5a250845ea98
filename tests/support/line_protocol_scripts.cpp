#include "line_protocol_scripts.hpp"

#include <string_view>
#include <utility>

namespace starttls_exporter::testing {
namespace {

std::string_view word_at(std::string_view line, std::size_t index) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  for (std::size_t i = 0;; ++i) {
    const auto space = line.find(' ');
    const std::string_view word = line.substr(0, space);
    if (i == index) return word;
    if (space == std::string_view::npos) return {};
    line.remove_prefix(space + 1);
  }
}

std::string with_tag(std::string reply, std::string_view tag) {
  for (auto at = reply.find("{tag}"); at != std::string::npos; at = reply.find("{tag}")) {
    reply.replace(at, 5, tag);
  }
  return reply;
}

}  // namespace

SmtpScript line_script(std::vector<LineStep> steps, bool implicit_tls) {
  return [steps = std::move(steps), implicit_tls](SmtpPeer& peer) {
    if (implicit_tls && !peer.start_tls()) return;
    for (const auto& step : steps) {
      std::string tag;
      if (!step.expect.empty()) {
        const auto line = peer.read_line();
        if (!line) return;
        const bool tagged = word_at(*line, 1) == step.expect;
        if (!tagged && word_at(*line, 0) != step.expect) return;
        if (tagged) tag = std::string(word_at(*line, 0));
      }
      if (!peer.send(with_tag(step.reply, tag))) return;
      if (step.start_tls && !peer.start_tls()) return;
    }
    peer.wait_for_close();
  };
}

std::vector<LineStep> imap_steps(bool plaintext_auth) {
  const std::string caps = plaintext_auth ? "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n"
                                          : "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n";
  return {{"", "* OK [CAPABILITY IMAP4rev1] imap.test ready\r\n"},
          {"CAPABILITY", caps + "{tag} OK done\r\n"},
          {"STARTTLS", "{tag} OK Begin TLS negotiation now\r\n", true},
          {"LOGOUT", "* BYE Logging out\r\n{tag} OK Logout completed\r\n"}};
}

std::vector<LineStep> pop3_steps(bool plaintext_auth) {
  const std::string caps = plaintext_auth ? "USER\r\nSASL PLAIN\r\n" : "SASL\r\n";
  return {{"", "+OK pop3.test ready\r\n"},
          {"CAPA", "+OK\r\nTOP\r\nUIDL\r\nSTLS\r\n" + caps + "PIPELINING\r\n.\r\n"},
          {"STLS", "+OK Begin TLS negotiation now\r\n", true},
          {"QUIT", "+OK Logging out\r\n"}};
}

std::vector<LineStep> sieve_steps(bool plaintext_auth) {
  const std::string caps = "\"IMPLEMENTATION\" \"sieve.test\"\r\n\"SIEVE\" \"fileinto\"\r\n";
  const std::string sasl = plaintext_auth ? "\"SASL\" \"PLAIN LOGIN\"\r\n" : "\"SASL\" \"\"\r\n";
  return {{"", caps + sasl + "\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n"},
          {"STARTTLS", "OK \"Begin TLS negotiation now\"\r\n", true},
          {"", caps + "\"SASL\" \"PLAIN\"\r\n\"VERSION\" \"1.0\"\r\nOK \"TLS active\"\r\n"},
          {"LOGOUT", "OK \"Logout completed\"\r\n"}};
}

std::vector<LineStep> smtp_steps(const std::string& verb, bool auth) {
  const std::string auth_line = auth ? "250-AUTH PLAIN LOGIN\r\n" : "";
  return {{"", "220 mx.test ESMTP\r\n"},
          {verb, "250-mx.test\r\n" + auth_line + "250-PIPELINING\r\n250 STARTTLS\r\n"},
          {"STARTTLS", "220 2.0.0 Ready to start TLS\r\n", true},
          {"QUIT", "221 2.0.0 Bye\r\n"}};
}

std::vector<LineStep> implicit_steps(const std::string& protocol) {
  if (protocol == "imap") {
    return {{"", "* OK imaps.test ready\r\n"},
            {"LOGOUT", "* BYE Logging out\r\n{tag} OK Logout completed\r\n"}};
  }
  if (protocol == "pop3") return {{"", "+OK pop3s.test ready\r\n"}, {"QUIT", "+OK bye\r\n"}};
  if (protocol == "sieve") {
    return {{"", "\"IMPLEMENTATION\" \"sieve.test\"\r\n\"SASL\" \"PLAIN\"\r\nOK \"ready\"\r\n"},
            {"LOGOUT", "OK \"bye\"\r\n"}};
  }
  return {{"", "220 smtps.test ESMTP\r\n"}, {"QUIT", "221 2.0.0 Bye\r\n"}};
}

}  // namespace starttls_exporter::testing
