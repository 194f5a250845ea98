#include "smtp_dialogue.hpp"

#include <algorithm>
#include <string>

#include "dialogue.hpp"

namespace starttls_exporter::prober {
namespace {

Conversation conversation(SmtpSession& session) {
  return Conversation{session.connection, session.channel, session.transcript};
}

/// A reply with an unexpected code: 4xx and 5xx are rejections, anything else is not SMTP as
/// we know it at this point of the dialogue.
Failure unexpected_reply(Phase phase, const Reply& reply) {
  const int kind = reply.code / 100;
  const FailureReason reason = kind == 4   ? FailureReason::rejected_temporary
                               : kind == 5 ? FailureReason::rejected_permanent
                                           : FailureReason::malformed_reply;
  std::string text = reply.lines.empty() ? std::string() : reply.lines.front();
  return Failure{phase, reason, reply.code,
                 "unexpected reply " + std::to_string(reply.code) + " " +
                     escape_printable(text, Transcript::max_line_bytes)};
}

/// Sends `line` (unless empty) and reads one complete reply into session.parser (starting with
/// bytes left over from the previous reply).
asio::awaitable<std::optional<Failure>> command(SmtpSession& session, Phase phase,
                                                std::string_view line) {
  Conversation io = conversation(session);
  if (!line.empty()) {
    if (auto failure = co_await send_line(io, phase, line)) co_return failure;
  }
  ReplyParser& parser = session.parser;
  if (parser.status() == ParseStatus::complete) parser.next();
  if (auto failure = co_await read_response(io, parser, phase)) co_return failure;
  session.transcript.add_reply(parser.reply().code, parser.reply().lines);
  co_return std::nullopt;
}

}  // namespace

asio::awaitable<std::optional<Failure>> read_banner(SmtpSession& session) {
  if (auto failure = co_await command(session, Phase::banner, "")) co_return failure;
  if (session.parser.reply().code != 220) {
    co_return unexpected_reply(Phase::banner, session.parser.reply());
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<Failure>> ehlo(SmtpSession& session, std::string_view ehlo_name,
                                             std::optional<bool>& starttls_advertised) {
  const std::string name(ehlo_name);
  const Phase phase = session.lmtp ? Phase::lhlo : Phase::ehlo;
  const std::string verb = session.lmtp ? "LHLO " : "EHLO ";
  if (auto failure = co_await command(session, phase, verb + name)) co_return failure;
  const Reply& reply = session.parser.reply();
  if (reply.code == 250) {
    bool found = false;
    for (const auto& line : reply.lines) {
      found = found || equals_ignoring_case(first_word(line), "STARTTLS");
      // "AUTH PLAIN LOGIN", or the pre-RFC "AUTH=PLAIN" some servers still add.
      session.auth_advertised = session.auth_advertised ||
                                equals_ignoring_case(first_word(line), "AUTH") ||
                                starts_with_ignoring_case(line, "AUTH=");
    }
    starttls_advertised = found;
    co_return std::nullopt;
  }
  // LMTP has no HELO (RFC 2033 §4.1).
  if (reply.code / 100 != 5 || session.lmtp) co_return unexpected_reply(phase, reply);
  // RFC 5321 §3.2: a client whose EHLO is refused may fall back to HELO. Such a server cannot
  // offer STARTTLS, but whether it talks SMTP at all is worth telling apart.
  const int ehlo_code = reply.code;
  if (auto failure = co_await command(session, Phase::ehlo, "HELO " + name)) co_return failure;
  if (session.parser.reply().code != 250) {
    Failure failure = unexpected_reply(Phase::ehlo, session.parser.reply());
    failure.detail = "EHLO refused with " + std::to_string(ehlo_code) + ", HELO: " + failure.detail;
    co_return failure;
  }
  starttls_advertised = false;
  session.ehlo_refused_code = ehlo_code;
  co_return std::nullopt;
}

asio::awaitable<std::optional<Failure>> starttls(SmtpSession& session, bool advertised) {
  if (!advertised) {
    const int code = session.ehlo_refused_code;
    const std::string verb = session.lmtp ? "LHLO" : "EHLO";
    co_return Failure{
        Phase::starttls, FailureReason::starttls_not_offered, code,
        code != 0 ? "EHLO refused with " + std::to_string(code) + "; HELO cannot negotiate STARTTLS"
                  : verb + " reply does not list STARTTLS"};
  }
  if (auto failure = co_await command(session, Phase::starttls, "STARTTLS")) co_return failure;
  if (session.parser.reply().code != 220) {
    co_return unexpected_reply(Phase::starttls, session.parser.reply());
  }
  Conversation io = conversation(session);
  co_return injection_check(io, Phase::starttls, session.parser.leftover(), "220");
}

/// QUIT without waiting for its 221, as Postfix's SMTP client does by default
/// (smtp_skip_quit_response = yes): the reply says nothing about TLS, and awaiting it cost every
/// probe a round trip, a wake-up and a record to decrypt. RFC 5321 §4.1.1.10 has the client wait
/// (a SHOULD) so that it does not drop a session with work pending; a probe has none.
asio::awaitable<void> quit(SmtpSession& session) {
  Conversation io = conversation(session);
  auto failure = co_await send_line(io, Phase::quit, "QUIT");
  if (failure) {
    session.transcript.add("QUIT: ", std::string(to_string(failure->reason)) + " (ignored)");
  } else {
    session.transcript.add("QUIT: ", "reply not awaited (as Postfix's smtp_skip_quit_response)");
  }
}

namespace {

/// SMTP, submission and LMTP behind the Dialogue interface.
class SmtpDialogue final : public Dialogue {
 public:
  SmtpDialogue(Conversation io, const ProbeSpec& spec)
      : session_{io.connection, io.channel, ReplyParser{}, io.transcript},
        ehlo_name_(spec.ehlo_name),
        submission_(spec.protocol == config::Protocol::submission) {
    session_.lmtp = spec.protocol == config::Protocol::lmtp;
  }

  asio::awaitable<std::optional<Failure>> upgrade(PhaseClock& phases,
                                                  ProbeResult& result) override {
    phases.begin(Phase::banner);
    auto failure = co_await read_banner(session_);
    phases.end();
    if (failure) co_return failure;
    phases.begin(session_.lmtp ? Phase::lhlo : Phase::ehlo);
    failure = co_await ehlo(session_, ehlo_name_, result.starttls_advertised);
    phases.end();
    if (failure) co_return failure;
    if (submission_) result.plaintext_auth_offered = session_.auth_advertised;
    phases.begin(Phase::starttls);
    failure = co_await starttls(session_, result.starttls_advertised.value_or(false));
    phases.end();
    co_return failure;
  }

  asio::awaitable<std::optional<Failure>> after_handshake(PhaseClock& phases,
                                                          bool implicit) override {
    if (!implicit) co_return std::nullopt;
    phases.begin(Phase::banner);
    auto failure = co_await read_banner(session_);
    phases.end();
    co_return failure;
  }

  /// RFC 5321 §3.8 asks clients to QUIT rather than drop the connection after a refusal; not
  /// after 421 (the server is closing).
  bool polite_after(const Failure& failure) const override {
    return (failure.reason == FailureReason::rejected_permanent ||
            failure.reason == FailureReason::rejected_temporary ||
            failure.reason == FailureReason::starttls_not_offered) &&
           failure.smtp_code != 421;
  }
  Phase quit_phase() const override { return Phase::quit; }
  asio::awaitable<void> quit() override { co_await prober::quit(session_); }

  void switch_channel(Channel* channel) override {
    session_.channel = channel;
    session_.parser = ReplyParser{};
  }

 private:
  SmtpSession session_;
  std::string ehlo_name_;
  bool submission_;
};

}  // namespace

std::unique_ptr<Dialogue> make_smtp_dialogue(Conversation io, const ProbeSpec& spec) {
  return std::make_unique<SmtpDialogue>(io, spec);
}

}  // namespace starttls_exporter::prober
