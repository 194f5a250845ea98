// Writing a Response to a CivetWeb connection: head, body, or a streamed body.
#include "response_writer.hpp"

#include <exception>
#include <mutex>
#include <optional>
#include <string_view>

#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::http {
namespace {

bool header_safe(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

Response text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

namespace {

/// Status line and headers; Content-Length when `length` is set, else chunked transfer coding
/// when `chunked`, else none (the body ends when the connection closes).
void send_head(mg_connection* conn, const Response& resp, std::optional<std::size_t> length,
               bool chunked) {
  mg_response_header_start(conn, resp.status);
  mg_response_header_add(conn, "Content-Type", resp.content_type.c_str(), -1);
  if (length) {
    const std::string value = std::to_string(*length);
    mg_response_header_add(conn, "Content-Length", value.c_str(), -1);
  } else if (chunked) {
    mg_response_header_add(conn, "Transfer-Encoding", "chunked", -1);
  }
  for (const auto& [name, value] : resp.headers) {
    if (header_safe(name) && header_safe(value)) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
  }
  // CivetWeb writes the Date header with gmtime(3), whose result lives in one static buffer
  // for the whole process: two workers sending heads at once race on it (ThreadSanitizer saw
  // it under a request flood) and may send each other's date. One head at a time; sending a
  // head is a single short write.
  static std::mutex gmtime_buffer;
  const std::lock_guard lock(gmtime_buffer);
  mg_response_header_send(conn);
}

/// Sends a body_stream response. The head goes out with the first piece, so that a stream
/// failing before it still becomes a 500; after it, a failure can only cut the body short,
/// which a chunked reader sees as an error (no last chunk).
void send_stream(mg_connection* conn, const mg_request_info& ri, const Request& req,
                 const Response& resp) {
  const bool chunked = std::string_view(ri.http_version ? ri.http_version : "") != "1.0";
  if (req.method == "HEAD") {
    send_head(conn, resp, std::nullopt, chunked);
    return;
  }
  bool head_sent = false;
  bool client_gone = false;
  const auto write = [&](std::string_view piece) {
    if (client_gone) return false;
    if (!head_sent) {
      send_head(conn, resp, std::nullopt, chunked);
      head_sent = true;
    }
    if (piece.empty()) return true;  // an empty chunk would end the body
    const int sent = chunked
                         ? mg_send_chunk(conn, piece.data(), static_cast<unsigned>(piece.size()))
                         : mg_write(conn, piece.data(), piece.size());
    client_gone = sent <= 0;
    return !client_gone;
  };
  try {
    resp.body_stream(write);
  } catch (const std::exception& e) {
    log::error("http response failed", {{"path", req.path}, {"error", e.what()}});
    if (!head_sent) {
      const Response failed = text(500, "500 internal server error\n");
      send_head(conn, failed, failed.body.size(), false);
      mg_write(conn, failed.body.data(), failed.body.size());
    }
    return;  // no last chunk: the client sees the page cut short
  }
  if (!head_sent) send_head(conn, resp, std::nullopt, chunked);
  if (chunked && !client_gone) mg_send_chunk(conn, "", 0);  // the last chunk
}

}  // namespace

void send(mg_connection* conn, const mg_request_info& ri, const Request& req,
          const Response& resp) {
  if (resp.body_stream) {
    send_stream(conn, ri, req, resp);
    return;
  }
  send_head(conn, resp, resp.body.size(), false);
  if (req.method == "HEAD") return;
  if (!resp.body.empty()) mg_write(conn, resp.body.data(), resp.body.size());
}

}  // namespace starttls_exporter::http
