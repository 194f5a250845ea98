#include "key_type_probe.hpp"

#include <exception>
#include <string>
#include <utility>

#include "legacy_probe.hpp"
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::prober {
namespace {

using Clock = std::chrono::steady_clock;

/// One key type's run, in the main result's terms; its transcript is appended, prefixed.
KeyTypeHandshake judge(KeyType key_type, ProbeResult& run, std::vector<std::string>& transcript) {
  KeyTypeHandshake out;
  out.key_type = key_type;
  out.duration_seconds = run.duration_seconds;
  out.completed = run.tls.has_value();
  out.dane = std::move(run.dane);
  if (!out.completed) out.failure = std::move(run.failure);
  const std::string prefix = std::string(to_string(key_type)) + " ";
  for (auto& line : run.transcript) transcript.push_back(prefix + std::move(line));
  return out;
}

}  // namespace

asio::awaitable<ProbeResult> with_key_type_handshakes(ProbeResult main, ProbeSpec spec,
                                                      Clock::time_point deadline) {
  if (!spec.handshake_per_key_type || !main.tls) co_return main;
  try {
    spec.handshake_per_key_type = false;  // one extra connection per key type, never more
    spec.legacy_probe = false;
    std::vector<std::string> transcript;
    for (const KeyType key_type : {KeyType::ecdsa, KeyType::rsa}) {
      if (deadline - Clock::now() < kMinExtraConnectionBudget) {
        KeyTypeHandshake skipped;
        skipped.key_type = key_type;
        skipped.failure = Failure{Phase::connect, FailureReason::timeout, 0,
                                  "no time left before the deadline for this key type"};
        main.key_types.push_back(std::move(skipped));
        continue;
      }
      spec.key_type = key_type;
      ProbeResult run = co_await run_probe(spec, deadline);
      main.key_types.push_back(judge(key_type, run, transcript));
    }
    if (spec.record_transcript) {
      for (auto& line : transcript) main.transcript.push_back(std::move(line));
    }
    if (main.dane) {
      auto failure = policy::judge_key_types(*main.dane, main.key_types);
      if (failure && !main.failure) {
        main.failure = std::move(failure);
        main.success = false;
      }
    }
  } catch (const std::exception&) {
    // Out of memory: the main result stands without the per-key-type verdicts.
  }
  co_return main;
}

}  // namespace starttls_exporter::prober
