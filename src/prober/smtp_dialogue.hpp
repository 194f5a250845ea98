#pragma once
/// \file
/// The SMTP side of a probe (SMTP, submission, LMTP), one function per phase, and the SMTP
/// Dialogue (make_smtp_dialogue in dialogue.hpp). This is the only file that knows SMTP.
/// Each phase returns nullopt on success or the Failure (phase, reason, smtp_code) that ends the
/// probe; none throws for anything the server does.

#include <asio/awaitable.hpp>

#include <optional>
#include <string_view>

#include "connection.hpp"
#include "smtp_reply.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "transcript.hpp"

namespace starttls_exporter::prober {

/// What the SMTP phases of one probe share. Not owning; lives in the probe's coroutine frame.
struct SmtpSession {
  Connection& connection;  ///< for expired(): any error after the deadline is a timeout
  Channel* channel;        ///< the plaintext connection, then the TLS session (for QUIT)
  ReplyParser parser;
  Transcript& transcript;
  int ehlo_refused_code = 0;     ///< the 5xx that refused EHLO (HELO was then tried), else 0
  bool lmtp = false;             ///< LMTP: LHLO (phase lhlo) instead of EHLO, and no HELO fallback
  bool auth_advertised = false;  ///< set by ehlo(): a reply line's first word is AUTH
};

/// Reads the whole greeting (every "220-" line up to the final "220 ") and sends nothing before
/// it ends, so postscreen-style pregreet checks never see us talk first.
/// 4xx -> rejected_temporary, 5xx -> rejected_permanent, with the code in smtp_code.
asio::awaitable<std::optional<Failure>> read_banner(SmtpSession& session);

/// "EHLO <name>" ("LHLO <name>" for LMTP, without fallback); on 5xx falls back to "HELO <name>".
/// Sets `starttls_advertised`: true when any EHLO reply line's first word is STARTTLS
/// (case-insensitive), false otherwise and after HELO. When HELO is refused too, the failure
/// carries HELO's code and names EHLO's in its detail.
asio::awaitable<std::optional<Failure>> ehlo(SmtpSession& session, std::string_view ehlo_name,
                                             std::optional<bool>& starttls_advertised);

/// "STARTTLS", expecting 220. When STARTTLS was not advertised (or only HELO worked) it fails
/// here, in phase starttls, with starttls_not_offered: that phase is where the missing upgrade
/// shows, and it sends nothing. After a refused EHLO, that failure's smtp_code is EHLO's code
/// (502, ...), so the refusal stays visible in probe_failure_smtp_code. Any byte after the 220
/// reply that is here before the ClientHello leaves (read with the 220, or already waiting in the
/// socket, checked without waiting) fails with response_injection; those bytes never reach TLS.
asio::awaitable<std::optional<Failure>> starttls(SmtpSession& session, bool advertised);

/// "QUIT", then reads the 221 until the connection's (shortened) deadline. Best effort: errors
/// only go to the transcript.
asio::awaitable<void> quit(SmtpSession& session);

}  // namespace starttls_exporter::prober
