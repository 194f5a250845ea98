#pragma once
/// \file
/// The probe interface every protocol dialogue implements (smtp_dialogue.cpp for SMTP,
/// submission and LMTP; imap_dialogue.cpp, pop3_dialogue.cpp, sieve_dialogue.cpp), and
/// TextDialogue, the shared base of the line-oriented ones. probe.cpp runs the transport and
/// TLS phases and calls these for everything the protocol says. No method throws for anything
/// the server does; a Failure names the phase and reason that ended the probe.
///
/// Threading: a dialogue lives in one probe's coroutine frame and is used only from it.

#include <asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conversation.hpp"
#include "line_reader.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

/// Records phase durations (the probe run implements it): begin() opens a phase, end() closes
/// it. A dialogue opens and closes each of its phases around the exchange it names.
class PhaseClock {
 public:
  virtual void begin(Phase phase) = 0;
  virtual void end() = 0;

 protected:
  ~PhaseClock() = default;
};

class Dialogue {
 public:
  virtual ~Dialogue() = default;

  /// STARTTLS mode, in plaintext: the greeting, the capabilities and the upgrade command, up to
  /// the point where the ClientHello may go (injection checked). Sets
  /// result.starttls_advertised and, where the protocol reports it, plaintext_auth_offered.
  virtual asio::awaitable<std::optional<Failure>> upgrade(PhaseClock& phases,
                                                          ProbeResult& result) = 0;
  /// Over TLS, after verify. `implicit`: reads the greeting (phase banner). After STARTTLS:
  /// whatever the protocol sends unasked (ManageSieve re-sends its capabilities).
  virtual asio::awaitable<std::optional<Failure>> after_handshake(PhaseClock& phases,
                                                                  bool implicit) = 0;
  /// True when the server still speaks the protocol after `failure`, so quit() is polite
  /// (a refusal; not after a closing greeting such as SMTP 421 or IMAP BYE, nor I/O errors).
  virtual bool polite_after(const Failure& failure) const = 0;
  /// quit for SMTP, LMTP and POP3; logout for IMAP and ManageSieve.
  virtual Phase quit_phase() const = 0;
  /// QUIT or LOGOUT, then the reply, until the connection's (shortened) deadline. Best effort:
  /// errors only go to the transcript.
  virtual asio::awaitable<void> quit() = 0;
  /// Continues over `channel` (the TLS session, or back to the plaintext connection) with a
  /// fresh parser. `channel` must outlive its use.
  virtual void switch_channel(Channel* channel) = 0;
};

/// The dialogue for spec.protocol (smtp_dialogue.cpp and the *_dialogue.cpp files).
std::unique_ptr<Dialogue> make_smtp_dialogue(Conversation io, const ProbeSpec& spec);
std::unique_ptr<Dialogue> make_imap_dialogue(Conversation io);
std::unique_ptr<Dialogue> make_pop3_dialogue(Conversation io);
std::unique_ptr<Dialogue> make_sieve_dialogue(Conversation io);

/// Base of the line-oriented dialogues (IMAP, POP3, ManageSieve): one LineResponseParser,
/// bounded by ReplyLimits{}, over the conversation's current channel, and their shared flow:
/// greeting (phase banner), capabilities (result.starttls_advertised and
/// plaintext_auth_offered), then the upgrade command in phase starttls.
class TextDialogue : public Dialogue {
 public:
  asio::awaitable<std::optional<Failure>> upgrade(PhaseClock& phases, ProbeResult& result) override;
  /// Implicit TLS: greeting(); after STARTTLS: after_starttls().
  asio::awaitable<std::optional<Failure>> after_handshake(PhaseClock& phases,
                                                          bool implicit) override;
  /// After a refusal (rejected_permanent, starttls_not_offered), not after BYE or I/O errors.
  bool polite_after(const Failure& failure) const override;
  void switch_channel(Channel* channel) override;

 protected:
  explicit TextDialogue(Conversation io);

  /// The protocol's steps, each opening and closing its own phases.
  virtual asio::awaitable<std::optional<Failure>> greeting(PhaseClock& phases) = 0;
  virtual asio::awaitable<std::optional<Failure>> capabilities(PhaseClock& phases,
                                                               ProbeResult& result) = 0;
  /// The upgrade command, inside phase starttls; `advertised` from the capabilities.
  virtual asio::awaitable<std::optional<Failure>> start_tls(bool advertised) = 0;
  /// What the server sends unasked after the STARTTLS handshake; default: nothing.
  virtual asio::awaitable<std::optional<Failure>> after_starttls(PhaseClock& phases);

  /// Sends `command` (unless empty) and reads the response that `is_final` ends, logging each
  /// line as "S: ...". On success lines() holds the response.
  asio::awaitable<std::optional<Failure>> exchange(Phase phase, std::string_view command,
                                                   LineResponseParser::FinalTest is_final);
  /// `exchange` in its own phase, opened and closed on `phases`.
  asio::awaitable<std::optional<Failure>> timed_exchange(PhaseClock& phases, Phase phase,
                                                         std::string_view command,
                                                         LineResponseParser::FinalTest is_final);
  /// The quit exchange, best effort: a failure is only noted in the transcript.
  asio::awaitable<void> quietly(Phase phase, std::string_view command,
                                LineResponseParser::FinalTest is_final);
  /// After the go-ahead line of STARTTLS/STLS: fails on plaintext that followed it.
  std::optional<Failure> check_injection(Phase phase, std::string_view go_ahead);

  const std::vector<std::string>& lines() const noexcept { return parser_.lines(); }
  /// The response's last line (its status line); the response is never empty.
  const std::string& status_line() const noexcept { return parser_.lines().back(); }
  /// A failure quoting the server's `line`, escaped and shortened for logs.
  static Failure refused(Phase phase, FailureReason reason, std::string_view line);

  Conversation io_;

 private:
  LineResponseParser parser_;
};

/// A FinalTest for protocols whose every response here is one line (POP3 status replies,
/// IMAP greetings).
bool single_line(const std::vector<std::string>& before, std::string_view line);

}  // namespace starttls_exporter::prober
