#include <spdlog/spdlog.h>

#include <array>

#include "core/progress_record.hpp"
#include "server/streams/pump.hpp"
#include "server/streams/streams.hpp"

namespace headway::server {
namespace {

// Writes SSE frames to a raw socket; see pump_stream for the contract.
class SseTransport final : public DirectWriter {
 public:
  static constexpr bool kSendsPings = true;

  SseTransport(tcp::socket& socket, Duration write_timeout)
      : socket_(socket), deadline_(socket.get_executor(), write_timeout) {}

  awaitable<error_code> progress(const Update& update) {
    const auto frame = asio::buffer(update.rendered->sse);
    co_return co_await write(frame);
  }

  awaitable<error_code> done(JobStatus status) {
    std::string frame = "event: done\ndata: {\"status\":\"";
    frame += to_string(status);
    frame += "\"}\n\n";
    const auto buffer = asio::buffer(frame);
    co_return co_await write(buffer);
  }

  awaitable<error_code> ping() {
    const auto frame = asio::buffer(": ping\n\n", 8);
    co_return co_await write(frame);
  }

  Result write_now(const Update& update) override {
    const auto frame = asio::buffer(update.rendered->sse);
    error_code ec;
    const std::size_t written = try_write(frame, ec);
    if (ec)
      return Result::failed;
    if (written == frame.size())
      return Result::written;
    unfinished_ = update.rendered;
    unfinished_offset_ = written;
    return Result::unfinished;
  }

  awaitable<error_code> flush() {
    const auto rendered = std::move(unfinished_);
    const auto rest = asio::buffer(rendered->sse) + unfinished_offset_;
    co_return co_await write_rest(rest);
  }

  // Most frames fit the socket's send buffer and go out here at once, with no
  // deadline timer and no trip through the scheduler; only what the kernel
  // does not take waits, under the write deadline.
  awaitable<error_code> write(asio::const_buffer buffer) {
    error_code ec;
    const std::size_t written = try_write(buffer, ec);
    if (ec || written == buffer.size())
      co_return ec;
    buffer += written;
    co_return co_await write_rest(buffer);
  }

  bool timed_out() const { return deadline_.expired(); }

 private:
  // What the kernel takes now; a full send buffer is not an error. (The
  // socket is in non-blocking mode, so this never blocks the thread.)
  std::size_t try_write(asio::const_buffer buffer, error_code& ec) {
    const std::size_t written = socket_.write_some(buffer, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again)
      ec = {};
    return written;
  }

  awaitable<error_code> write_rest(asio::const_buffer rest) {
    deadline_.arm(socket_);
    auto [ec, n] = co_await asio::async_write(socket_, rest, use_tuple);
    (void)n;
    deadline_.disarm();
    co_return ec;
  }

  tcp::socket& socket_;
  WriteDeadline deadline_;
  std::shared_ptr<const RenderedUpdate> unfinished_;  // what write_now left for flush()
  std::size_t unfinished_offset_ = 0;
};

std::string sse_head(const Services& services, const std::string& extra_headers) {
  std::string out =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Content-Encoding: identity\r\n"
      "Connection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  out += "retry: " + std::to_string(services.config.sse_retry.count()) + "\n\n";
  return out;
}

std::string sse_preamble(const Services& services, const std::string& job_id,
                         const std::string& extra_headers) {
  std::string out = sse_head(services, extra_headers);
  out += "event: connected\ndata: {\"job_id\":";
  append_json_string(out, job_id);
  out += "}\n\n";
  return out;
}

// Notices the client leaving while the stream is idle (no write would fail
// until the next ping otherwise). Anything the client sends is ignored. A
// readiness wait rather than a read coroutine: an idle stream holds one small
// operation here, not a coroutine frame and a buffer. Reading until the
// socket is empty before waiting again is what lets the edge-triggered
// reactor report the next arrival (and the thread's own reactor cannot run
// between the last read and the new wait).
template <typename OnClose>
void watch_for_close(std::shared_ptr<tcp::socket> socket, OnClose on_close) {
  socket->async_wait(tcp::socket::wait_read, [socket, on_close](error_code ec) mutable {
    while (!ec) {
      std::array<char, 256> sink;
      socket->read_some(asio::buffer(sink), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        watch_for_close(std::move(socket), std::move(on_close));
        return;
      }
    }
    on_close();
  });
}

awaitable<void> serve_sse(Services& services, ConnectionGuard connection, tcp::socket raw_socket,
                          std::string job_id, std::int64_t last_event_id,
                          std::string extra_headers) {
  auto executor = raw_socket.get_executor();
  auto socket = std::make_shared<tcp::socket>(std::move(raw_socket));
  // Writes are tried at once and only what the kernel does not take waits.
  error_code mode_ec;
  socket->non_blocking(true, mode_ec);
  auto mailbox = std::make_shared<StreamMailbox>(executor, last_event_id, services.metrics);
  SseTransport transport(*socket, services.config.write_timeout);
  const ActiveStream active(services.metrics, Transport::sse);
  connection.on_drain([mailbox] { mailbox->close(); });

  // `connected` goes out before the stream touches Redis.
  bool connected = false;
  if (!mode_ec) {
    // Scoped, so the preamble's memory is not held for the stream's life.
    const std::string preamble = sse_preamble(services, job_id, extra_headers);
    const auto preamble_buffer = asio::buffer(preamble);
    connected = !co_await transport.write(preamble_buffer);
  }
  std::string().swap(extra_headers);
  if (connected) {
    services.metrics.event_sent(EventType::connected);
    watch_for_close(socket, [mailbox] { mailbox->close(); });
    mailbox->set_direct_writer(&transport);
    auto topic = services.fanout.join(job_id, mailbox);
    co_await pump_stream(transport, *mailbox, services.metrics, services.config.ping_interval);
    services.fanout.leave(topic, mailbox);
    mailbox->set_direct_writer(nullptr);
  }
  if (transport.timed_out()) {
    services.metrics.slow_drops().Increment();
    spdlog::info("stream for job {} dropped: the client accepted no data for {} ms", job_id,
                 services.config.write_timeout.count());
  }
  error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
}

// The events of a stream of several jobs (see pump_job_streams): `id:` is
// the resume position of every job, the data names the job.
class ManySseTransport {
 public:
  static constexpr bool kSendsPings = true;

  explicit ManySseTransport(SseTransport& sse) : sse_(sse) {}

  awaitable<error_code> progress(const Update& update, const std::string& positions) {
    frame_.clear();
    frame_ += "id: ";
    frame_ += positions;
    frame_ += "\nevent: progress\ndata: ";
    frame_ += update.json();
    frame_ += "\n\n";
    const auto buffer = asio::buffer(frame_);
    co_return co_await sse_.write(buffer);
  }

  awaitable<error_code> done(const std::string& job_id, JobStatus status) {
    frame_ = "event: done\ndata: " + done_event_data(job_id, status) + "\n\n";
    const auto buffer = asio::buffer(frame_);
    co_return co_await sse_.write(buffer);
  }

  awaitable<error_code> ping() { co_return co_await sse_.ping(); }

 private:
  SseTransport& sse_;
  std::string frame_;  // reused: one write in flight
};

awaitable<void> serve_many_sse(Services& services, ConnectionGuard connection,
                               tcp::socket raw_socket, std::vector<StreamedJob> jobs,
                               std::string extra_headers) {
  auto executor = raw_socket.get_executor();
  auto socket = std::make_shared<tcp::socket>(std::move(raw_socket));
  error_code mode_ec;
  socket->non_blocking(true, mode_ec);
  auto wake = std::make_shared<asio::steady_timer>(executor);
  const auto mailboxes = make_job_mailboxes(executor, jobs, services.metrics, wake);
  const auto close_all = [mailboxes] { close_job_mailboxes(mailboxes); };
  SseTransport sse(*socket, services.config.write_timeout);
  ManySseTransport transport(sse);
  const ActiveStream active(services.metrics, Transport::sse);
  connection.on_drain(close_all);

  bool connected = false;
  if (!mode_ec) {
    std::string preamble = sse_head(services, extra_headers);
    for (const auto& job : jobs) {
      if (job.visible)
        preamble += "event: connected\ndata: " + connected_event_data(job.id) + "\n\n";
      else
        preamble += "event: not_found\ndata: " + not_found_event_data(job.id) + "\n\n";
    }
    const auto preamble_buffer = asio::buffer(preamble);
    connected = !co_await sse.write(preamble_buffer);
  }
  std::string().swap(extra_headers);
  if (connected) {
    for (const auto& job : jobs)
      if (job.visible)
        services.metrics.event_sent(EventType::connected);
    watch_for_close(socket, close_all);
    co_await stream_joined_jobs(transport, services.fanout, jobs, mailboxes, *wake,
                                services.metrics, services.config.ping_interval);
  }
  if (sse.timed_out()) {
    services.metrics.slow_drops().Increment();
    spdlog::info("stream for {} jobs dropped: the client accepted no data for {} ms", jobs.size(),
                 services.config.write_timeout.count());
  }
  error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
}

}  // namespace

void start_many_sse(Services& services, ConnectionGuard& connection, tcp::socket socket,
                    std::vector<StreamedJob> jobs, std::string extra_headers) {
  auto executor = socket.get_executor();
  asio::co_spawn(executor,
                 serve_many_sse(services, std::move(connection), std::move(socket), std::move(jobs),
                                std::move(extra_headers)),
                 log_stream_failure);
}

void log_stream_failure(const std::exception_ptr& error) {
  if (!error)
    return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("stream: {}", e.what());
  }
}

void start_sse(Services& services, ConnectionGuard& connection, tcp::socket socket,
               std::string job_id, std::int64_t last_event_id, std::string extra_headers) {
  auto executor = socket.get_executor();
  asio::co_spawn(executor,
                 serve_sse(services, std::move(connection), std::move(socket), std::move(job_id),
                           last_event_id, std::move(extra_headers)),
                 log_stream_failure);
}

}  // namespace headway::server
