#include "starttls_exporter/prober/policy_fetch.hpp"

#include <asio/ip/address.hpp>
#include <asio/this_coro.hpp>

#include <array>
#include <exception>

#include "connection.hpp"
#include "http_response.hpp"
#include "starttls_exporter/tls_client/tls_client.hpp"

namespace starttls_exporter::prober {
namespace {

using Clock = std::chrono::steady_clock;

void fail(PolicyFetch& out, FetchFailure failure, std::string detail) {
  out.failure = failure;
  out.detail = std::move(detail);
}

std::string reasons_of(const VerifyVerdict& verdict) {
  std::string out;
  for (const auto reason : verdict.reasons)
    out += (out.empty() ? "" : " ") + std::string(to_string(reason));
  return out.empty() ? "not verified" : out;
}

/// Reads until the server closes, the deadline passes, or more than the bounds allow arrived.
asio::awaitable<std::optional<std::string>> read_all(tls::ClientSession& session,
                                                     Connection& connection, std::string& out) {
  std::array<char, 4096> buffer;
  while (out.size() <= kMaxHeaderBytes + kMaxPolicyBytes) {
    std::size_t n = 0;
    const std::error_code ec = co_await session.read_some(buffer, n);
    out.append(buffer.data(), n);
    if (connection.expired()) co_return "timeout: the deadline passed while reading the reply";
    if (ec) co_return std::nullopt;  // end of the reply: close_notify, EOF or reset after it
  }
  co_return std::nullopt;  // over the bounds: the parser reports too_large
}

/// The reply judged as a sender judges it (RFC 8461 §3.3).
void judge_reply(PolicyFetch& out, const std::string& bytes) {
  const HttpParse parsed = parse_http_response(bytes, kMaxPolicyBytes);
  if (parsed.problem) {
    return fail(out,
                parsed.problem == HttpProblem::too_large ? FetchFailure::too_large
                                                         : FetchFailure::fetch_failed,
                parsed.detail);
  }
  const HttpResponse& response = *parsed.response;
  out.status = response.status;
  if (response.status >= 300 && response.status < 400) {
    return fail(out, FetchFailure::redirect,
                "HTTP " + std::to_string(response.status) + " to \"" + response.location + "\"");
  }
  if (response.status != 200) {
    return fail(out, FetchFailure::http_status, "HTTP " + std::to_string(response.status));
  }
  if (!is_text_plain(response.content_type)) {
    return fail(out, FetchFailure::content_type,
                "Content-Type \"" + response.content_type + "\", not text/plain");
  }
  out.body = response.body;
}

asio::awaitable<void> fetch(const PolicyFetchSpec& spec, Clock::time_point deadline,
                            PolicyFetch& out) {
  Connection connection(co_await asio::this_coro::executor, deadline);
  std::error_code ec;
  const auto address = asio::ip::make_address(spec.address, ec);
  if (ec) co_return fail(out, FetchFailure::fetch_failed, "invalid address " + spec.address);
  if (auto failure = co_await connection.connect({address, spec.port}, std::nullopt)) {
    co_return fail(out, FetchFailure::fetch_failed, "connect: " + failure->detail);
  }
  tls::ClientSession session(connection.socket(), tls::ClientSettings{spec.trust, spec.host});
  const tls::HandshakeOutcome outcome = co_await session.handshake();
  if (!outcome.completed) {
    co_return fail(out, FetchFailure::fetch_failed,
                   connection.expired() ? "timeout during the TLS handshake"
                                        : "TLS handshake: " + outcome.detail);
  }
  const TlsFacts facts = session.facts();
  if (!facts.chain.empty()) out.cert_not_after = facts.chain.front().not_after;
  const VerifyVerdict verdict = session.verify();
  if (!verdict.verified) {
    co_return fail(out, FetchFailure::cert_invalid,
                   "certificate for " + spec.host + ": " + reasons_of(verdict));
  }
  const std::string request = "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: " + spec.host +
                              "\r\nUser-Agent: starttls_exporter\r\nConnection: close\r\n\r\n";
  if (co_await session.write_all(request)) {
    co_return fail(
        out, FetchFailure::fetch_failed,
        connection.expired() ? "timeout sending the request" : "sending the request failed");
  }
  std::string reply;
  if (auto timeout = co_await read_all(session, connection, reply)) {
    co_return fail(out, FetchFailure::fetch_failed, *timeout);
  }
  connection.close();
  judge_reply(out, reply);
}

}  // namespace

asio::awaitable<PolicyFetch> fetch_policy(PolicyFetchSpec spec, Clock::time_point deadline) {
  const auto started = Clock::now();
  PolicyFetch out;
  try {
    co_await fetch(spec, deadline, out);
  } catch (const std::exception& e) {
    fail(out, FetchFailure::fetch_failed, std::string("internal error: ") + e.what());
  }
  out.duration_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  co_return out;
}

}  // namespace starttls_exporter::prober
