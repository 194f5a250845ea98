#include <asio/ip/address.hpp>
#include <asio/this_coro.hpp>

#include <algorithm>
#include <exception>
#include <string>

#include "certificate_file_check.hpp"
#include "connection.hpp"
#include "dialogue.hpp"
#include "key_type_probe.hpp"
#include "legacy_probe.hpp"
#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/policy/policy.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "transcript.hpp"

namespace starttls_exporter::prober {
namespace {

using Clock = std::chrono::steady_clock;

/// The quit phase never holds a probe longer than this (nor past the probe's deadline).
constexpr std::chrono::seconds quit_budget{1};

/// The TLS session as a Channel, so the dialogue goes on over it with the same code.
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

/// The dialogue of spec.protocol: the one place that dispatches on the protocol.
std::unique_ptr<Dialogue> make_dialogue(const ProbeSpec& spec, Conversation io) {
  switch (spec.protocol) {
    case config::Protocol::smtp:
    case config::Protocol::submission:
    case config::Protocol::lmtp:
      return make_smtp_dialogue(io, spec);
    case config::Protocol::imap:
      return make_imap_dialogue(io);
    case config::Protocol::pop3:
      return make_pop3_dialogue(io);
    case config::Protocol::sieve:
      return make_sieve_dialogue(io);
  }
  throw std::logic_error("ProbeSpec::protocol is out of range");
}

/// One probe's state and its phases in order. Each phase is opened with begin() and closed
/// with end(), which records its duration; fail() sets the result's failure once.
class ProbeRun final : public PhaseClock {
 public:
  ProbeRun(ProbeSpec spec, Clock::time_point deadline)
      : spec_(std::move(spec)), deadline_(deadline), transcript_(spec_.record_transcript) {
    result_.started = std::chrono::system_clock::now();
  }

  asio::awaitable<void> run();
  /// Called for an exception that escaped run(): closes the open phase and records the error.
  void fail_internal(std::string_view what);
  /// Called when run() ended because the caller cancelled the probe (the scheduler stopping,
  /// or the target removed by a reload): closes the open phase, records why, logs no error.
  void fail_cancelled();
  ProbeResult finish(Clock::time_point started);

  void begin(Phase phase) override;
  void end() override;

 private:
  void fail(Failure failure);
  std::optional<asio::ip::address> source_address();
  void check_min_version();
  asio::awaitable<void> tls_phases(Connection& connection, Dialogue& dialogue);
  asio::awaitable<void> plaintext_quit(Connection& connection, Dialogue& dialogue);
  asio::awaitable<void> polite_quit(Connection& connection, Dialogue& dialogue);

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

void ProbeRun::fail_cancelled() {
  const Phase phase = open_phase_.value_or(Phase::connect);
  end();
  log::debug("probe cancelled", {{"address", spec_.address}});
  result_.failure.reset();
  fail(Failure{phase, FailureReason::internal_error, 0,
               "cancelled: the exporter is stopping or the target was removed"});
}

ProbeResult ProbeRun::finish(Clock::time_point started) {
  const std::chrono::duration<double> took = Clock::now() - started;
  result_.duration_seconds = took.count();
  result_.success = !result_.failure.has_value();
  result_.transcript = transcript_.take();
  return std::move(result_);
}

/// spec.source_address parsed; nullopt when unset (or, impossibly after config validation,
/// not an IP literal: then the kernel chooses, as without it).
std::optional<asio::ip::address> ProbeRun::source_address() {
  std::error_code ec;
  const auto address = asio::ip::make_address(spec_.source_address, ec);
  if (spec_.source_address.empty() || ec) return std::nullopt;
  transcript_.add("bind ", spec_.source_address);
  return address;
}

/// tls.min_version, judged on the facts already recorded.
void ProbeRun::check_min_version() {
  const TlsVersion negotiated = result_.tls->negotiated;
  if (!spec_.min_version || (negotiated != TlsVersion::unknown && negotiated >= *spec_.min_version))
    return;
  fail(Failure{Phase::verify, FailureReason::tls_version_too_old, 0,
               "negotiated " + result_.tls->version + ", below the module's tls.min_version"});
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
  auto connect_failure = co_await connection.connect(endpoint, source_address());
  end();
  if (connect_failure) {
    fail(Failure{Phase::connect, connect_failure->reason, 0, connect_failure->detail});
    co_return;
  }

  const auto dialogue = make_dialogue(spec_, Conversation{connection, &connection, transcript_});
  if (spec_.tls_mode == config::TlsMode::implicit) {
    transcript_.add("TLS: ", "implicit TLS, handshake first");
    co_await tls_phases(connection, *dialogue);
    co_return;
  }
  if (auto failure = co_await dialogue->upgrade(*this, result_)) {
    fail(std::move(*failure));
    co_await plaintext_quit(connection, *dialogue);
    co_return;
  }
  co_await tls_phases(connection, *dialogue);
}

/// After a refusal the server is still speaking its protocol, and the polite way out is QUIT
/// or LOGOUT rather than dropping the connection (the dialogue knows which refusals qualify).
asio::awaitable<void> ProbeRun::plaintext_quit(Connection& connection, Dialogue& dialogue) {
  if (!dialogue.polite_after(*result_.failure) || connection.expired()) co_return;
  co_await polite_quit(connection, dialogue);
}

/// The quit phase, bounded by quit_budget.
asio::awaitable<void> ProbeRun::polite_quit(Connection& connection, Dialogue& dialogue) {
  begin(dialogue.quit_phase());
  connection.set_deadline(std::min(deadline_, Clock::now() + quit_budget));
  co_await dialogue.quit();
  end();
}

asio::awaitable<void> ProbeRun::tls_phases(Connection& connection, Dialogue& dialogue) {
  begin(Phase::tls_handshake);
  if (!spec_.trust) throw std::logic_error("ProbeSpec::trust is not set");
  tls::ClientSession session(connection.socket(),
                             tls::ClientSettings{spec_.trust, spec_.server_name, spec_.versions,
                                                 spec_.key_type, spec_.chain_cache});
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
  if (spec_.dane) {
    result_.dane =
        session.check_dane(*spec_.dane, std::chrono::system_clock::now(), result_.verify->verified);
  }
  end();
  check_min_version();  // first: a too-old version outranks the certificate's verdict
  const policy::Verdict verdict = policy::judge(*result_.verify, result_.dane, spec_.mta_sts);
  result_.policies = verdict.applied;
  if (verdict.failure) {
    fail(*verdict.failure);
  } else {
    transcript_.add("TLS: ",
                    verdict.applied.dane ? "authenticated by DANE (TLSA)" : "certificate verified");
  }

  TlsChannel channel(session);
  dialogue.switch_channel(&channel);
  // Implicit TLS: the greeting comes now; after STARTTLS, whatever the protocol re-sends.
  const bool implicit = spec_.tls_mode == config::TlsMode::implicit;
  auto failure = co_await dialogue.after_handshake(*this, implicit);
  if (failure) fail(*failure);
  if (!failure || dialogue.polite_after(*failure)) {
    if (!connection.expired()) co_await polite_quit(connection, dialogue);
  }
  session.send_close_notify();
  dialogue.switch_channel(&connection);
  connection.close();
}

}  // namespace

asio::awaitable<ProbeResult> run_probe(ProbeSpec spec, Clock::time_point deadline) {
  const auto started = Clock::now();
  std::optional<ProbeRun> run;
  std::string internal_error;
  try {
    run.emplace(spec, deadline);  // a copy: `spec` is kept for the legacy probe
    co_await run->run();
  } catch (const std::exception& e) {
    internal_error = *e.what() != '\0' ? e.what() : "exception";
  } catch (...) {
    internal_error = "unknown exception";
  }
  // A cancelled coroutine throws operation_aborted from its next co_await: that is the caller
  // ending the probe, not a bug. Such a result is dropped by the caller; it gets no legacy probe.
  const bool cancelled =
      (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
  try {
    if (!run) throw std::runtime_error(internal_error);
    if (cancelled) {
      run->fail_cancelled();
      co_return run->finish(started);
    }
    if (!internal_error.empty()) run->fail_internal(internal_error);
    ProbeResult main = co_await with_legacy_probe(run->finish(started), spec, deadline);
    main = co_await with_key_type_handshakes(std::move(main), spec, deadline);
    check_certificate_file(main, spec);
    co_return main;
  } catch (...) {
    // Out of memory while reporting: a minimal result still keeps the promise never to throw.
  }
  ProbeResult minimal;
  minimal.started = std::chrono::system_clock::now();
  minimal.failure = Failure{Phase::connect, FailureReason::internal_error, 0, {}};
  co_return minimal;
}

}  // namespace starttls_exporter::prober
