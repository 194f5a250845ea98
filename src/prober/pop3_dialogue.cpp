// POP3 (RFC 1939) with CAPA (RFC 2449) and STLS (RFC 2595): the greeting, CAPA, STLS; QUIT.
// The only file that knows POP3.

#include <string>

#include "dialogue.hpp"

namespace starttls_exporter::prober {
namespace {

bool is_ok(std::string_view line) {
  return starts_with_ignoring_case(line, "+OK") && (line.size() == 3 || line[3] == ' ');
}
bool is_err(std::string_view line) {
  return starts_with_ignoring_case(line, "-ERR") && (line.size() == 4 || line[4] == ' ');
}

/// A multi-line response ends with "."; a first line other than +OK is the whole response.
bool multi_line(const std::vector<std::string>& before, std::string_view line) {
  return before.empty() ? !is_ok(line) : line == ".";
}

class Pop3Dialogue final : public TextDialogue {
 public:
  explicit Pop3Dialogue(Conversation io) : TextDialogue(io) {}

  Phase quit_phase() const override { return Phase::quit; }

  asio::awaitable<void> quit() override { co_await quietly(Phase::quit, "QUIT", single_line); }

 private:
  /// +OK goes on, -ERR refuses (rejected_permanent), anything else is not POP3.
  std::optional<Failure> check_status(Phase phase) const {
    const std::string& line = lines().front();
    if (is_ok(line)) return std::nullopt;
    return refused(
        phase, is_err(line) ? FailureReason::rejected_permanent : FailureReason::malformed_reply,
        line);
  }

  asio::awaitable<std::optional<Failure>> greeting(PhaseClock& phases) override {
    if (auto failure = co_await timed_exchange(phases, Phase::banner, "", single_line)) {
      co_return failure;
    }
    co_return check_status(Phase::banner);
  }

  /// A server without CAPA (-ERR) cannot advertise STLS (RFC 2595 §4); that shows as
  /// starttls_not_offered in the next phase, as SMTP's refused EHLO does.
  asio::awaitable<std::optional<Failure>> capabilities(PhaseClock& phases,
                                                       ProbeResult& result) override {
    if (auto failure = co_await timed_exchange(phases, Phase::capability, "CAPA", multi_line)) {
      co_return failure;
    }
    if (is_err(lines().front())) {
      capa_refused_ = true;
      result.starttls_advertised = false;
      co_return std::nullopt;
    }
    if (auto failure = check_status(Phase::capability)) co_return failure;
    bool stls = false, plaintext_auth = false;
    for (std::size_t i = 1; i + 1 < lines().size(); ++i) {
      const std::string_view line = lines()[i];
      const std::string_view word = first_word(line);
      stls = stls || equals_ignoring_case(word, "STLS");
      // USER takes a password in clear; SASL with any mechanism takes credentials.
      plaintext_auth = plaintext_auth || equals_ignoring_case(word, "USER") ||
                       (equals_ignoring_case(word, "SASL") &&
                        line.find_first_not_of(" \t", word.size()) != std::string_view::npos);
    }
    result.starttls_advertised = stls;
    result.plaintext_auth_offered = plaintext_auth;
    co_return std::nullopt;
  }

  asio::awaitable<std::optional<Failure>> start_tls(bool advertised) override {
    if (!advertised) {
      co_return Failure{Phase::starttls, FailureReason::starttls_not_offered, 0,
                        capa_refused_ ? "CAPA refused; STLS needs it" : "CAPA does not list STLS"};
    }
    if (auto failure = co_await exchange(Phase::starttls, "STLS", single_line)) co_return failure;
    if (auto failure = check_status(Phase::starttls)) co_return failure;
    co_return check_injection(Phase::starttls, "+OK");
  }

  bool capa_refused_ = false;
};

}  // namespace

std::unique_ptr<Dialogue> make_pop3_dialogue(Conversation io) {
  return std::make_unique<Pop3Dialogue>(io);
}

}  // namespace starttls_exporter::prober
