#include <asio/ip/address.hpp>
#include <asio/this_coro.hpp>

#include <algorithm>
#include <exception>
#include <string>

#include "connection.hpp"
#include "smtp_dialogue.hpp"
#include "starttls_exporter/log.hpp"
#include "starttls_exporter/prober.hpp"
#include "transcript.hpp"

namespace starttls_exporter::prober {
namespace {

using Clock = std::chrono::steady_clock;

/// The quit phase never holds a probe longer than this (nor past the probe's deadline).
constexpr std::chrono::seconds quit_budget{1};

/// The TLS session as a Channel, so QUIT goes through the same SMTP code as plaintext.
class TlsChannel final : public Channel {
 public:
  explicit TlsChannel(tls::ClientSession& session) : session_(session) {}
  asio::awaitable<std::error_code> write_all(std::string_view data) override {
    co_return co_await session_.write_all(data);
  }
  asio::awaitable<std::error_code> read_some(std::span<char> buffer, std::size_t& n) override {
    co_return co_await session_.read_some(buffer, n);
  }

 private:
  tls::ClientSession& session_;
};

/// One probe's state and its phases in order. Each phase is opened with begin() and closed
/// with end(), which records its duration; fail() sets the result's failure once.
class ProbeRun {
 public:
  ProbeRun(ProbeSpec spec, Clock::time_point deadline)
      : spec_(std::move(spec)), deadline_(deadline), transcript_(spec_.record_transcript) {
    result_.started = std::chrono::system_clock::now();
  }

  asio::awaitable<void> run();
  /// Called for an exception that escaped run(): closes the open phase and records the error.
  void fail_internal(std::string_view what);
  ProbeResult finish(Clock::time_point started);

 private:
  void begin(Phase phase);
  void end();
  void fail(Failure failure);
  asio::awaitable<void> tls_phases(Connection& connection, SmtpSession& smtp);
  asio::awaitable<void> plaintext_quit(Connection& connection, SmtpSession& smtp);

  ProbeSpec spec_;
  Clock::time_point deadline_;
  ProbeResult result_;
  Transcript transcript_;
  std::optional<Phase> open_phase_;
  Clock::time_point phase_started_{};
};

void ProbeRun::begin(Phase phase) {
  open_phase_ = phase;
  phase_started_ = Clock::now();
}

void ProbeRun::end() {
  if (!open_phase_) return;
  const std::chrono::duration<double> took = Clock::now() - phase_started_;
  result_.phases.push_back(PhaseDuration{*open_phase_, took.count()});
  open_phase_.reset();
}

void ProbeRun::fail(Failure failure) {
  if (result_.failure) return;  // the first failure is the one that ended the probe
  transcript_.add("failed: ", std::string(to_string(failure.phase)) + " " +
                                  std::string(to_string(failure.reason)) + " " + failure.detail);
  result_.failure = std::move(failure);
}

void ProbeRun::fail_internal(std::string_view what) {
  const Phase phase = open_phase_.value_or(Phase::connect);
  end();
  log::error("probe internal error", {{"address", spec_.address}, {"detail", what}});
  result_.failure.reset();  // an internal error outranks whatever the server did
  fail(Failure{phase, FailureReason::internal_error, 0, std::string(what)});
}

ProbeResult ProbeRun::finish(Clock::time_point started) {
  const std::chrono::duration<double> took = Clock::now() - started;
  result_.duration_seconds = took.count();
  result_.success = !result_.failure.has_value();
  result_.transcript = transcript_.take();
  return std::move(result_);
}

asio::awaitable<void> ProbeRun::run() {
  Connection connection(co_await asio::this_coro::executor, deadline_);
  begin(Phase::connect);
  std::error_code ec;
  const auto address = asio::ip::make_address(spec_.address, ec);
  if (ec) {
    end();
    fail(Failure{Phase::connect, FailureReason::connect_error, 0,
                 "invalid address \"" + escape_printable(spec_.address, 100) + "\""});
    co_return;
  }
  const asio::ip::tcp::endpoint endpoint(address, spec_.port);
  transcript_.add("connect ", spec_.address + " port " + std::to_string(spec_.port));
  auto connect_failure = co_await connection.connect(endpoint);
  end();
  if (connect_failure) {
    fail(Failure{Phase::connect, connect_failure->reason, 0, connect_failure->detail});
    co_return;
  }

  SmtpSession smtp{connection, &connection, ReplyParser{}, transcript_};
  begin(Phase::banner);
  auto failure = co_await read_banner(smtp);
  end();
  if (!failure) {
    begin(Phase::ehlo);
    failure = co_await ehlo(smtp, spec_.ehlo_name, result_.starttls_advertised);
    end();
  }
  if (!failure) {
    begin(Phase::starttls);
    failure = co_await starttls(smtp, result_.starttls_advertised.value_or(false));
    end();
  }
  if (failure) {
    fail(std::move(*failure));
    co_await plaintext_quit(connection, smtp);
    co_return;
  }
  co_await tls_phases(connection, smtp);
}

/// After a refusal the server is still speaking SMTP; RFC 5321 §3.8 asks clients to QUIT rather
/// than drop the connection. Not after 421 (the server is closing) or transport failures.
asio::awaitable<void> ProbeRun::plaintext_quit(Connection& connection, SmtpSession& smtp) {
  const Failure& failure = *result_.failure;
  const bool polite = (failure.reason == FailureReason::rejected_permanent ||
                       failure.reason == FailureReason::rejected_temporary ||
                       failure.reason == FailureReason::starttls_not_offered) &&
                      failure.smtp_code != 421;
  if (!polite || connection.expired()) co_return;
  begin(Phase::quit);
  connection.set_deadline(std::min(deadline_, Clock::now() + quit_budget));
  co_await quit(smtp);
  end();
}

asio::awaitable<void> ProbeRun::tls_phases(Connection& connection, SmtpSession& smtp) {
  begin(Phase::tls_handshake);
  if (!spec_.trust) throw std::logic_error("ProbeSpec::trust is not set");
  tls::ClientSession session(connection.socket(),
                             tls::ClientSettings{spec_.trust, spec_.server_name});
  transcript_.add("TLS: handshake, SNI ",
                  spec_.server_name.empty() ? std::string("(none)") : spec_.server_name);
  const tls::HandshakeOutcome outcome = co_await session.handshake();
  end();
  if (!outcome.completed) {
    const bool expired = connection.expired();
    transcript_.add("TLS: handshake failed: ", outcome.detail);
    fail(Failure{Phase::tls_handshake, expired ? FailureReason::timeout : outcome.reason, 0,
                 expired ? std::string("deadline passed") : outcome.detail});
    co_return;
  }

  begin(Phase::verify);
  result_.tls = session.facts();  // recorded before judging, so failures still show the chain
  transcript_.add("TLS: ", result_.tls->version + " " + result_.tls->cipher + " " +
                               result_.tls->group + ", " +
                               std::to_string(result_.tls->chain.size()) + " certificates");
  result_.verify = session.verify();
  end();
  if (!result_.verify->verified) {
    const FailureReason reason = result_.verify->reasons.empty() ? FailureReason::cert_invalid
                                                                 : result_.verify->reasons.front();
    std::string detail = "certificate verification failed:";
    for (const auto r : result_.verify->reasons) detail += " " + std::string(to_string(r));
    fail(Failure{Phase::verify, reason, 0, std::move(detail)});
  } else {
    transcript_.add("TLS: ", "certificate verified");
  }

  begin(Phase::quit);
  connection.set_deadline(std::min(deadline_, Clock::now() + quit_budget));
  TlsChannel channel(session);
  smtp.channel = &channel;
  smtp.parser = ReplyParser{};
  co_await quit(smtp);
  session.send_close_notify();
  smtp.channel = &connection;
  connection.close();
  end();
}

}  // namespace

asio::awaitable<ProbeResult> run_probe(ProbeSpec spec, Clock::time_point deadline) {
  const auto started = Clock::now();
  std::optional<ProbeRun> run;
  std::string internal_error;
  try {
    run.emplace(std::move(spec), deadline);
    co_await run->run();
  } catch (const std::exception& e) {
    internal_error = *e.what() != '\0' ? e.what() : "exception";
  } catch (...) {
    internal_error = "unknown exception";
  }
  try {
    if (!run) throw std::runtime_error(internal_error);
    if (!internal_error.empty()) run->fail_internal(internal_error);
    co_return run->finish(started);
  } catch (...) {
    // Out of memory while reporting: a minimal result still keeps the promise never to throw.
  }
  ProbeResult minimal;
  minimal.started = std::chrono::system_clock::now();
  minimal.failure = Failure{Phase::connect, FailureReason::internal_error, 0, {}};
  co_return minimal;
}

}  // namespace starttls_exporter::prober
