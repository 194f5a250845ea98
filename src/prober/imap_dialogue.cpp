// IMAP (RFC 9051 / RFC 3501) up to STARTTLS: the greeting, CAPABILITY, STARTTLS; LOGOUT.
// The only file that knows IMAP.

#include <string>

#include "dialogue.hpp"

namespace starttls_exporter::prober {
namespace {

/// The untagged BYE the server sends before closing.
bool is_bye(std::string_view line) {
  return starts_with_ignoring_case(line, "* BYE") && (line.size() == 5 || line[5] == ' ');
}

/// The tagged completion of `tag`'s command, or (unless `bye_expected`, as in LOGOUT) an
/// untagged BYE: the server is closing, nothing else will come.
LineResponseParser::FinalTest tagged(std::string tag, bool bye_expected = false) {
  return [tag = std::move(tag) + " ", bye_expected](const std::vector<std::string>&,
                                                    std::string_view line) {
    return line.starts_with(tag) || (!bye_expected && is_bye(line));
  };
}

/// "A1 OK ..." -> OK; the status word of a tagged line.
std::string_view status_word(std::string_view line) {
  const auto space = line.find(' ');
  return space == std::string_view::npos ? std::string_view() : first_word(line.substr(space + 1));
}

class ImapDialogue final : public TextDialogue {
 public:
  explicit ImapDialogue(Conversation io) : TextDialogue(io) {}

  Phase quit_phase() const override { return Phase::logout; }

  asio::awaitable<void> quit() override {
    const std::string tag = next_tag();
    co_await quietly(Phase::logout, tag + " LOGOUT", tagged(tag, true));
  }

 private:
  std::string next_tag() { return "A" + std::to_string(++tags_); }

  /// "* OK" or "* PREAUTH" go on; "* BYE" is a refusal to serve now (rejected_temporary).
  asio::awaitable<std::optional<Failure>> greeting(PhaseClock& phases) override {
    if (auto failure = co_await timed_exchange(phases, Phase::banner, "", single_line)) {
      co_return failure;
    }
    const std::string& line = status_line();
    if (starts_with_ignoring_case(line, "* OK") || starts_with_ignoring_case(line, "* PREAUTH")) {
      co_return std::nullopt;
    }
    co_return refused(
        Phase::banner,
        is_bye(line) ? FailureReason::rejected_temporary : FailureReason::malformed_reply, line);
  }

  /// A tagged reply other than OK: NO/BAD refuse (rejected_permanent), BYE closes
  /// (rejected_temporary), anything else is not IMAP.
  std::optional<Failure> check_tagged(Phase phase) const {
    const std::string& line = status_line();
    if (is_bye(line)) return refused(phase, FailureReason::rejected_temporary, line);
    const std::string_view word = status_word(line);
    if (equals_ignoring_case(word, "OK")) return std::nullopt;
    const bool refusal = equals_ignoring_case(word, "NO") || equals_ignoring_case(word, "BAD");
    return refused(
        phase, refusal ? FailureReason::rejected_permanent : FailureReason::malformed_reply, line);
  }

  asio::awaitable<std::optional<Failure>> capabilities(PhaseClock& phases,
                                                       ProbeResult& result) override {
    const std::string tag = next_tag();
    if (auto failure =
            co_await timed_exchange(phases, Phase::capability, tag + " CAPABILITY", tagged(tag))) {
      co_return failure;
    }
    if (auto failure = check_tagged(Phase::capability)) co_return failure;
    bool starttls = false, login_disabled = false, sasl = false;
    for (const auto& line : lines()) {
      if (!starts_with_ignoring_case(line, "* CAPABILITY ")) continue;
      std::string_view rest = std::string_view(line).substr(13);
      while (!rest.empty()) {
        const std::string_view word = first_word(rest);
        starttls = starttls || equals_ignoring_case(word, "STARTTLS");
        login_disabled = login_disabled || equals_ignoring_case(word, "LOGINDISABLED");
        sasl = sasl || starts_with_ignoring_case(word, "AUTH=");
        rest.remove_prefix(std::min(rest.size(), word.size() + 1));
      }
    }
    result.starttls_advertised = starttls;
    // LOGIN works unless LOGINDISABLED; any AUTH= mechanism takes credentials too.
    result.plaintext_auth_offered = !login_disabled || sasl;
    co_return std::nullopt;
  }

  asio::awaitable<std::optional<Failure>> start_tls(bool advertised) override {
    if (!advertised) {
      co_return Failure{Phase::starttls, FailureReason::starttls_not_offered, 0,
                        "CAPABILITY does not list STARTTLS"};
    }
    const std::string tag = next_tag();
    if (auto failure = co_await exchange(Phase::starttls, tag + " STARTTLS", tagged(tag))) {
      co_return failure;
    }
    if (auto failure = check_tagged(Phase::starttls)) co_return failure;
    co_return check_injection(Phase::starttls, "OK");
  }

  int tags_ = 0;
};

}  // namespace

std::unique_ptr<Dialogue> make_imap_dialogue(Conversation io) {
  return std::make_unique<ImapDialogue>(io);
}

}  // namespace starttls_exporter::prober
