// Resolver: libunbound's asynchronous queries on the engine's io_context. libunbound resolves
// on its own thread and signals results on its descriptor (ub_fd); the engine watches that
// descriptor only while queries are pending and runs ub_process, which calls back here.
#include <unistd.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include "answer_parse.hpp"
#include "unbound_context.hpp"

namespace starttls_exporter::dns {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::array<double, 10> kLatencyBounds{0.001, 0.005, 0.01, 0.025, 0.05,
                                                0.1,   0.25,  0.5,  1,     5};
constexpr int kClassIn = 1;

/// One query in flight. Lives until libunbound's callback or a successful ub_cancel, whichever
/// comes first (libunbound may still call back for a query whose cancel failed).
struct Query {
  explicit Query(asio::io_context& io) : wake(io) {}
  asio::steady_timer wake;  ///< expires at the deadline; cancelled when the answer arrives
  int id = 0;
  bool done = false;
  RecordType type = RecordType::a;
  Answer answer;
  Resolver::Impl* owner = nullptr;
};

detail::RawResult copy_result(int err, ub_result* result) {
  detail::RawResult raw;
  raw.error = err;
  if (err != 0 || result == nullptr) {
    raw.error = err != 0 ? err : -1;
    raw.error_text = detail::unbound_error(raw.error);
    return raw;
  }
  raw.rcode = result->rcode;
  raw.havedata = result->havedata != 0;
  raw.nxdomain = result->nxdomain != 0;
  raw.secure = result->secure != 0;
  raw.bogus = result->bogus != 0;
  if (result->why_bogus) raw.why_bogus = result->why_bogus;
  if (result->canonname) raw.canonname = result->canonname;
  if (result->qname) raw.qname = result->qname;
  raw.ttl = result->ttl;
  for (int i = 0; result->data && result->data[i]; ++i) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(result->data[i]);
    raw.data.emplace_back(bytes, bytes + result->len[i]);
  }
  if (result->answer_packet && result->answer_len > 0) {
    const auto* bytes = static_cast<const std::uint8_t*>(result->answer_packet);
    raw.packet.assign(bytes, bytes + result->answer_len);
  }
  return raw;
}

}  // namespace

struct Resolver::Impl : std::enable_shared_from_this<Resolver::Impl> {
  Impl(asio::io_context& io_context, const ResolverSettings& settings)
      : io(io_context), timeout(settings.timeout), ctx(detail::make_context(settings)), fd(io) {
    const int raw = ::dup(ub_fd(ctx.get()));
    if (raw < 0) throw DnsError("cannot watch the resolver's descriptor");
    fd.assign(raw);
  }

  asio::io_context& io;
  std::chrono::milliseconds timeout;
  detail::ContextPtr ctx;
  asio::posix::stream_descriptor fd;  ///< a dup of ub_fd: closing it leaves libunbound's own
  bool watching = false;
  std::map<int, std::shared_ptr<Query>> pending;

  mutable std::mutex stats_mutex;
  std::array<std::uint64_t, 7> by_outcome{};
  Histogram latency{kLatencyBounds};

  static void on_result(void* data, int err, ub_result* result) {
    auto* query = static_cast<Query*>(data);
    query->answer = detail::classify(copy_result(err, result), query->type);
    ub_resolve_free(result);
    query->done = true;
    query->wake.cancel();
    Impl* owner = query->owner;
    owner->pending.erase(query->id);  // may destroy *query: nothing after this
    owner->unwatch_when_idle();
  }

  /// Without pending queries nothing waits on ub_fd, so an idle io_context can run dry.
  void unwatch_when_idle() {
    if (!pending.empty() || !watching) return;
    std::error_code ignored;
    fd.cancel(ignored);
  }

  /// Waits for ub_fd while queries are pending; each readiness runs ub_process.
  void watch() {
    if (watching || pending.empty()) return;
    watching = true;
    fd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [weak = weak_from_this()](std::error_code ec) {
                    const auto self = weak.lock();
                    if (!self) return;
                    self->watching = false;
                    if (ec) return;
                    ub_process(self->ctx.get());
                    self->watch();
                  });
  }

  void count(const Answer& answer) {
    std::lock_guard lock(stats_mutex);
    ++by_outcome[static_cast<std::size_t>(answer.outcome)];
    latency.observe(answer.seconds);
  }
};

void check_settings(const ResolverSettings& settings) {
  detail::make_context(settings);
}

Resolver::Resolver(asio::io_context& io, const ResolverSettings& settings)
    : impl_(std::make_shared<Impl>(io, settings)) {}

Resolver::~Resolver() {
  for (auto& [id, query] : impl_->pending) {
    ub_cancel(impl_->ctx.get(), id);
    query->answer = detail::failed_answer(Outcome::error, "resolver stopped");
    query->done = true;
    query->wake.cancel();
  }
  impl_->pending.clear();
  std::error_code ignored;
  impl_->fd.cancel(ignored);
}

asio::awaitable<Answer> Resolver::lookup(std::string name, RecordType type) {
  const auto impl = impl_;  // the lookup keeps the context alive until it returns
  const auto started = Clock::now();
  auto query = std::make_shared<Query>(impl->io);
  query->type = type;
  query->owner = impl.get();
  query->wake.expires_after(impl->timeout);
  const int rc = ub_resolve_async(impl->ctx.get(), name.c_str(), static_cast<int>(type), kClassIn,
                                  query.get(), &Impl::on_result, &query->id);
  if (rc != 0) {
    query->answer = detail::failed_answer(Outcome::error, detail::unbound_error(rc));
  } else {
    impl->pending.emplace(query->id, query);
    impl->watch();
    co_await query->wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (!query->done && ub_cancel(impl->ctx.get(), query->id) == 0) {
      impl->pending.erase(query->id);
      impl->unwatch_when_idle();
      const bool expired = Clock::now() >= query->wake.expiry();
      query->answer =
          expired ? detail::failed_answer(Outcome::timeout, "no answer within the lookup timeout")
                  : detail::failed_answer(Outcome::error, "cancelled");
    } else if (!query->done) {  // the answer is being delivered: libunbound calls back
      query->answer = detail::failed_answer(Outcome::error, "cancelled");
    }
  }
  Answer answer = std::move(query->answer);
  answer.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  impl->count(answer);
  co_return answer;
}

ResolverStats Resolver::stats() const {
  ResolverStats out;
  std::lock_guard lock(impl_->stats_mutex);
  for (std::size_t i = 0; i < impl_->by_outcome.size(); ++i) {
    out.lookups.emplace_back(static_cast<Outcome>(i), impl_->by_outcome[i]);
  }
  out.latency = impl_->latency;
  return out;
}

std::string_view to_string(RecordType type) noexcept {
  switch (type) {
    case RecordType::a:
      return "A";
    case RecordType::cname:
      return "CNAME";
    case RecordType::mx:
      return "MX";
    case RecordType::txt:
      return "TXT";
    case RecordType::aaaa:
      return "AAAA";
    case RecordType::srv:
      return "SRV";
    case RecordType::tlsa:
      return "TLSA";
  }
  return "unknown";
}

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::data:
      return "data";
    case Outcome::nodata:
      return "nodata";
    case Outcome::nxdomain:
      return "nxdomain";
    case Outcome::servfail:
      return "servfail";
    case Outcome::bogus:
      return "bogus";
    case Outcome::timeout:
      return "timeout";
    case Outcome::error:
      return "error";
  }
  return "error";
}

}  // namespace starttls_exporter::dns
