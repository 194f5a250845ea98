#include "conversation.hpp"

#include <algorithm>
#include <stdexcept>

namespace starttls_exporter::prober {
namespace {

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

}  // namespace

Failure io_failure(const Conversation& io, Phase phase, std::error_code ec) {
  const bool expired = io.connection.expired();
  return Failure{phase, classify_io_error(ec, expired), 0,
                 expired ? std::string("deadline passed") : ec.message()};
}

asio::awaitable<std::optional<Failure>> send_line(Conversation& io, Phase phase,
                                                  std::string_view line) {
  if (line.find_first_of("\r\n") != std::string_view::npos) {
    throw std::invalid_argument("protocol command contains CR or LF");
  }
  io.transcript.add("C: ", line);
  std::string wire(line);
  wire += "\r\n";
  if (const auto ec = co_await io.channel->write_all(wire)) co_return io_failure(io, phase, ec);
  co_return std::nullopt;
}

std::optional<Failure> injection_check(Conversation& io, Phase phase, std::string_view leftover,
                                       std::string_view go_ahead) {
  // The server must wait for our ClientHello: the first byte of a TLS server message answers
  // it. So any byte that arrived before we send the ClientHello is plaintext that a man in the
  // middle (or a broken server) injected; feeding it to TLS would let it pose as the start of
  // the protected stream. Such bytes are either already parsed (read with the go-ahead) or
  // waiting in the socket's receive buffer (a later segment), which a zero-timeout check
  // finds. Bytes arriving after this check still reach the handshake, which rejects them as a
  // protocol error.
  std::string sample(leftover);
  const std::size_t injected = sample.size() + waiting_bytes(io.connection, sample);
  if (injected == 0) return std::nullopt;
  io.transcript.add("S (after " + std::string(go_ahead) + "): ", sample);
  return Failure{phase, FailureReason::response_injection, 0,
                 std::to_string(injected) + " plaintext bytes followed the " +
                     std::string(go_ahead) + " reply"};
}

}  // namespace starttls_exporter::prober
