#include "dialogue.hpp"

#include <utility>

namespace starttls_exporter::prober {

bool single_line(const std::vector<std::string>&, std::string_view) {
  return true;
}

TextDialogue::TextDialogue(Conversation io) : io_(io), parser_(single_line) {}

void TextDialogue::switch_channel(Channel* channel) {
  io_.channel = channel;
  parser_ = LineResponseParser(single_line);
}

asio::awaitable<std::optional<Failure>> TextDialogue::exchange(
    Phase phase, std::string_view command, LineResponseParser::FinalTest is_final) {
  if (!command.empty()) {
    if (auto failure = co_await send_line(io_, phase, command)) co_return failure;
  }
  parser_.next(std::move(is_final));
  if (auto failure = co_await read_response(io_, parser_, phase)) co_return failure;
  for (const auto& line : parser_.lines()) io_.transcript.add("S: ", line);
  co_return std::nullopt;
}

asio::awaitable<std::optional<Failure>> TextDialogue::timed_exchange(
    PhaseClock& phases, Phase phase, std::string_view command,
    LineResponseParser::FinalTest is_final) {
  phases.begin(phase);
  auto failure = co_await exchange(phase, command, std::move(is_final));
  phases.end();
  co_return failure;
}

asio::awaitable<void> TextDialogue::quietly(Phase phase, std::string_view command,
                                            LineResponseParser::FinalTest is_final) {
  if (auto failure = co_await exchange(phase, command, std::move(is_final))) {
    io_.transcript.add(std::string(command) + ": ",
                       std::string(to_string(failure->reason)) + " (ignored)");
  }
}

std::optional<Failure> TextDialogue::check_injection(Phase phase, std::string_view go_ahead) {
  return injection_check(io_, phase, parser_.leftover(), go_ahead);
}

Failure TextDialogue::refused(Phase phase, FailureReason reason, std::string_view line) {
  return Failure{phase, reason, 0,
                 "unexpected reply " + escape_printable(line, Transcript::max_line_bytes)};
}

bool TextDialogue::polite_after(const Failure& failure) const {
  return failure.reason == FailureReason::rejected_permanent ||
         failure.reason == FailureReason::starttls_not_offered;
}

asio::awaitable<std::optional<Failure>> TextDialogue::upgrade(PhaseClock& phases,
                                                              ProbeResult& result) {
  if (auto failure = co_await greeting(phases)) co_return failure;
  if (auto failure = co_await capabilities(phases, result)) co_return failure;
  phases.begin(Phase::starttls);
  auto failure = co_await start_tls(result.starttls_advertised.value_or(false));
  phases.end();
  co_return failure;
}

asio::awaitable<std::optional<Failure>> TextDialogue::after_handshake(PhaseClock& phases,
                                                                      bool implicit) {
  if (implicit) co_return co_await greeting(phases);
  co_return co_await after_starttls(phases);
}

asio::awaitable<std::optional<Failure>> TextDialogue::after_starttls(PhaseClock&) {
  co_return std::nullopt;
}

}  // namespace starttls_exporter::prober
