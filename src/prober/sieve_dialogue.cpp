// ManageSieve (RFC 5804): the capability greeting, STARTTLS, the capabilities the server
// re-sends over TLS; LOGOUT. The only file that knows ManageSieve.

#include <string>

#include "dialogue.hpp"

namespace starttls_exporter::prober {
namespace {

/// The response code word of a line: OK, NO or BYE, followed by a space, "(" or the end.
std::string_view response_word(std::string_view line) {
  return line.substr(0, line.find_first_of(" \t("));
}

/// Every response here is capability lines (quoted strings) ending with OK, NO or BYE.
bool status_ends(const std::vector<std::string>&, std::string_view line) {
  const std::string_view word = response_word(line);
  return equals_ignoring_case(word, "OK") || equals_ignoring_case(word, "NO") ||
         equals_ignoring_case(word, "BYE");
}

/// The quoted strings of a capability line: `"SASL" "PLAIN LOGIN"` -> SASL, PLAIN LOGIN.
/// Escapes (\" and \\) are kept as written; capability names never contain them.
std::vector<std::string_view> quoted_strings(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while ((pos = line.find('"', pos)) != std::string_view::npos) {
    std::size_t end = pos + 1;
    while (end < line.size() && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
    if (end >= line.size()) break;
    out.push_back(line.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

class SieveDialogue final : public TextDialogue {
 public:
  explicit SieveDialogue(Conversation io) : TextDialogue(io) {}

  Phase quit_phase() const override { return Phase::logout; }

  asio::awaitable<void> quit() override { co_await quietly(Phase::logout, "LOGOUT", status_ends); }

 private:
  /// OK goes on; NO refuses (rejected_permanent); BYE closes (rejected_temporary).
  std::optional<Failure> check_status(Phase phase) const {
    const std::string& line = status_line();
    const std::string_view word = response_word(line);
    if (equals_ignoring_case(word, "OK")) return std::nullopt;
    return refused(phase,
                   equals_ignoring_case(word, "NO") ? FailureReason::rejected_permanent
                                                    : FailureReason::rejected_temporary,
                   line);
  }

  /// The greeting is the capability list (phase banner, over TLS too with implicit TLS).
  asio::awaitable<std::optional<Failure>> greeting(PhaseClock& phases) override {
    co_return co_await read_capabilities(phases, Phase::banner);
  }
  /// Already read with the greeting.
  asio::awaitable<std::optional<Failure>> capabilities(PhaseClock&, ProbeResult& result) override {
    result.starttls_advertised = starttls_;
    result.plaintext_auth_offered = sasl_;
    co_return std::nullopt;
  }
  /// RFC 5804 §2.2: after TLS the server re-sends its capabilities.
  asio::awaitable<std::optional<Failure>> after_starttls(PhaseClock& phases) override {
    co_return co_await read_capabilities(phases, Phase::capability);
  }

  asio::awaitable<std::optional<Failure>> read_capabilities(PhaseClock& phases, Phase phase) {
    if (auto failure = co_await timed_exchange(phases, phase, "", status_ends)) co_return failure;
    if (auto failure = check_status(phase)) co_return failure;
    starttls_ = sasl_ = false;
    for (std::size_t i = 0; i + 1 < lines().size(); ++i) {
      const auto strings = quoted_strings(lines()[i]);
      if (strings.empty() || !lines()[i].starts_with('"')) {
        co_return refused(phase, FailureReason::malformed_reply, lines()[i]);
      }
      starttls_ = starttls_ || equals_ignoring_case(strings[0], "STARTTLS");
      // SASL lists the mechanisms usable now; an empty list offers none.
      sasl_ = sasl_ || (equals_ignoring_case(strings[0], "SASL") && strings.size() > 1 &&
                        strings[1].find_first_not_of(' ') != std::string_view::npos);
    }
    co_return std::nullopt;
  }

  asio::awaitable<std::optional<Failure>> start_tls(bool advertised) override {
    if (!advertised) {
      co_return Failure{Phase::starttls, FailureReason::starttls_not_offered, 0,
                        "the capabilities do not list STARTTLS"};
    }
    if (auto failure = co_await exchange(Phase::starttls, "STARTTLS", status_ends)) {
      co_return failure;
    }
    if (auto failure = check_status(Phase::starttls)) co_return failure;
    co_return check_injection(Phase::starttls, "OK");
  }

  bool starttls_ = false;
  bool sasl_ = false;
};

}  // namespace

std::unique_ptr<Dialogue> make_sieve_dialogue(Conversation io) {
  return std::make_unique<SieveDialogue>(io);
}

}  // namespace starttls_exporter::prober
