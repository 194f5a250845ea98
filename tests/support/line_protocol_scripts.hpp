#pragma once
/// \file
/// Scripted line-protocol conversations (IMAP, POP3, ManageSieve, SMTP variants) for
/// SmtpTestServer: each step waits for a client line, checks its command, answers, and may
/// start TLS. Canned scripts model a well-behaved server of each protocol.

#include <string>
#include <vector>

#include "smtp_test_server.hpp"

namespace starttls_exporter::testing {

/// One exchange. With `expect` empty the step sends without reading (a greeting). Otherwise it
/// reads a line and requires `expect` as its command: the first word, or for IMAP-style
/// "<tag> <command>" lines the second (the script replaces "{tag}" in `reply` with the tag).
/// A line that does not match ends the script (the client sees the connection close).
struct LineStep {
  std::string expect;
  std::string reply;
  bool start_tls = false;  ///< server-side TLS handshake right after sending `reply`
};

/// Plays `steps` then waits for the client to close. `implicit_tls`: the TLS handshake comes
/// first, before any step.
SmtpScript line_script(std::vector<LineStep> steps, bool implicit_tls = false);

/// Well-behaved servers: greeting, capabilities (with STARTTLS), the upgrade, then the polite
/// end over TLS. `plaintext_auth`: the pre-TLS capabilities offer credentials.
std::vector<LineStep> imap_steps(bool plaintext_auth = false);
std::vector<LineStep> pop3_steps(bool plaintext_auth = false);
std::vector<LineStep> sieve_steps(bool plaintext_auth = false);
/// SMTP (verb EHLO) or LMTP (verb LHLO); `auth` adds "250-AUTH PLAIN LOGIN" to the reply.
std::vector<LineStep> smtp_steps(const std::string& verb = "EHLO", bool auth = false);
/// The implicit-TLS counterparts: greeting then the polite end, all over TLS.
std::vector<LineStep> implicit_steps(const std::string& protocol);

}  // namespace starttls_exporter::testing
