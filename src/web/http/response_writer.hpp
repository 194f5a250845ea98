#pragma once
/// \file
/// Writing a Response to a CivetWeb connection. Private to src/web/http. Runs on the worker
/// thread that serves the connection.

#include <civetweb.h>

#include <string>

#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::http {

/// A plain-text response.
Response text(int status, std::string body);

/// Sends `resp` as the answer to `req`: with Content-Length for a body; for a body_stream,
/// chunked on HTTP/1.1 (a stream that fails before its first piece becomes a 500, after it
/// the body is cut short, which a chunked reader sees as an error), else ending at close.
/// Headers with CR or LF are dropped. HEAD gets the head only.
void send(mg_connection* conn, const mg_request_info& ri, const Request& req, const Response& resp);

}  // namespace starttls_exporter::http
