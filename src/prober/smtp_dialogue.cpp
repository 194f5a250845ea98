#include "smtp_dialogue.hpp"

#include <asio/error.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace starttls_exporter::prober {
namespace {

constexpr std::size_t read_chunk_bytes = 4096;

Failure io_failure(const SmtpSession& session, Phase phase, std::error_code ec) {
  const bool expired = session.connection.expired();
  return Failure{phase, classify_io_error(ec, expired), 0,
                 expired ? std::string("deadline passed") : ec.message()};
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

/// Sends one command; `line` must not contain CR or LF (that would inject a second command),
/// which is a bug in the caller or the configuration, so it throws std::invalid_argument.
asio::awaitable<std::optional<Failure>> send_line(SmtpSession& session, Phase phase,
                                                  std::string_view line) {
  if (line.find_first_of("\r\n") != std::string_view::npos) {
    throw std::invalid_argument("SMTP command contains CR or LF");
  }
  session.transcript.add("C: ", line);
  std::string wire(line);
  wire += "\r\n";
  if (const auto ec = co_await session.channel->write_all(wire)) {
    co_return io_failure(session, phase, ec);
  }
  co_return std::nullopt;
}

/// Reads one complete reply into session.parser (starting with bytes left over from the
/// previous reply).
asio::awaitable<std::optional<Failure>> read_reply(SmtpSession& session, Phase phase) {
  ReplyParser& parser = session.parser;
  if (parser.status() == ParseStatus::complete) parser.next();
  std::array<char, read_chunk_bytes> buffer;
  while (parser.status() == ParseStatus::need_more) {
    std::size_t n = 0;
    auto ec = co_await session.channel->read_some(buffer, n);
    if (n > 0) parser.feed(std::string_view(buffer.data(), n));
    if (!ec && n == 0) ec = make_error_code(asio::error::eof);  // a stream that ends silently
    if (ec && parser.status() == ParseStatus::need_more) {
      if (!parser.reply().raw.empty()) session.transcript.add("S (partial): ", parser.reply().raw);
      co_return io_failure(session, phase, ec);
    }
  }
  if (parser.status() == ParseStatus::complete) {
    session.transcript.add_reply(parser.reply().code, parser.reply().lines);
    co_return std::nullopt;
  }
  session.transcript.add("S (rejected): ", parser.reply().raw);
  const FailureReason reason = parser.status() == ParseStatus::too_long
                                   ? FailureReason::reply_too_long
                                   : FailureReason::malformed_reply;
  co_return Failure{phase, reason, 0, parser.error()};
}

/// Sends `line` (unless empty) and reads the reply.
asio::awaitable<std::optional<Failure>> command(SmtpSession& session, Phase phase,
                                                std::string_view line) {
  if (!line.empty()) {
    if (auto failure = co_await send_line(session, phase, line)) co_return failure;
  }
  co_return co_await read_reply(session, phase);
}

/// How many bytes already wait in the socket's receive buffer, checked without waiting (0 on
/// error: the handshake will report it). Appends up to 512 of them to `sample` without
/// consuming them.
std::size_t waiting_bytes(Connection& connection, std::string& sample) {
  auto& socket = connection.socket();
  std::error_code ec;
  const std::size_t available = socket.is_open() ? socket.available(ec) : 0;
  if (ec || available == 0) return 0;
  std::array<char, 512> peeked;
  // Bytes are available, so the peek returns at once.
  const std::size_t n =
      socket.receive(asio::buffer(peeked.data(), std::min(available, peeked.size())),
                     asio::socket_base::message_peek, ec);
  if (!ec) sample.append(peeked.data(), n);
  return available;
}

bool first_word_is_starttls(std::string_view line) {
  static constexpr std::string_view keyword = "STARTTLS";
  const std::string_view word = line.substr(0, line.find_first_of(" \t"));
  if (word.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c =
        word[i] >= 'a' && word[i] <= 'z' ? static_cast<char>(word[i] - 'a' + 'A') : word[i];
    if (c != keyword[i]) return false;
  }
  return true;
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
  if (auto failure = co_await command(session, Phase::ehlo, "EHLO " + name)) co_return failure;
  const Reply& reply = session.parser.reply();
  if (reply.code == 250) {
    bool found = false;
    for (const auto& line : reply.lines) found = found || first_word_is_starttls(line);
    starttls_advertised = found;
    co_return std::nullopt;
  }
  if (reply.code / 100 != 5) co_return unexpected_reply(Phase::ehlo, reply);
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
    co_return Failure{
        Phase::starttls, FailureReason::starttls_not_offered, code,
        code != 0 ? "EHLO refused with " + std::to_string(code) + "; HELO cannot negotiate STARTTLS"
                  : std::string("EHLO reply does not list STARTTLS")};
  }
  if (auto failure = co_await command(session, Phase::starttls, "STARTTLS")) co_return failure;
  if (session.parser.reply().code != 220) {
    co_return unexpected_reply(Phase::starttls, session.parser.reply());
  }
  // The server must wait for our ClientHello: the first byte of a TLS server message answers
  // it. So any byte that arrived before we send the ClientHello is plaintext that a man in the
  // middle (or a broken server) injected; feeding it to TLS would let it pose as the start of
  // the protected stream. Such bytes are either already parsed (read with the 220) or waiting
  // in the socket's receive buffer (a later segment), which a zero-timeout check finds. Bytes
  // arriving after this check still reach the handshake, which rejects them as a protocol
  // error.
  std::string sample(session.parser.leftover());
  const std::size_t injected = sample.size() + waiting_bytes(session.connection, sample);
  if (injected > 0) {
    session.transcript.add("S (after 220): ", sample);
    co_return Failure{Phase::starttls, FailureReason::response_injection, 0,
                      std::to_string(injected) + " plaintext bytes followed the 220 reply"};
  }
  co_return std::nullopt;
}

asio::awaitable<void> quit(SmtpSession& session) {
  auto failure = co_await command(session, Phase::quit, "QUIT");
  if (failure) {
    session.transcript.add("QUIT: ", std::string(to_string(failure->reason)) + " (ignored)");
  }
}

}  // namespace starttls_exporter::prober
