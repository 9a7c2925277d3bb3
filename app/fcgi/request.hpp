#pragma once
// One FastCGI request: the only type outside fcgi/ that stands for libfcgi's
// FCGX_Request. libfcgi reads the params (and a small body); the answer goes out
// through an fcgi::Connection, framed by asyncpage and queued on a non-blocking
// fd, so no write ever blocks the loop (docs/ARCHITECTURE.md, "Output"). When
// nginx asked to keep the connection (fastcgi_keep_conn on), finish() hands it
// back to the listener, which waits for nginx's next request on it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "fcgi/connection.hpp"
#include "http/request.hpp"
#include "loop/event_loop.hpp"

struct FCGX_Request;

namespace asyncpage::fcgi {

class Listener;

class Request {
  public:
    Request(std::unique_ptr<FCGX_Request> req, std::unique_ptr<Connection> conn,
            loop::EventLoop& loop, std::weak_ptr<Listener*> listener);
    ~Request();
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    const http::Request& http() const { return http_; }

    // Calls `on_gone` when nginx closes the connection before the answer (the
    // browser left: nginx sends no ABORT_REQUEST; docs/ARCHITECTURE.md, "libfcgi"),
    // when a write fails, or when nginx took no output for send_timeout while
    // some was queued. Watched until unwatch_hangup() or finish(); `on_gone` may
    // finish the request.
    void watch_hangup(std::function<void()> on_gone);
    void unwatch_hangup();

    // A whole response: Status, Content-Type, extra header lines ("Name: value\r\n"
    // each), body; then finish().
    void respond(int status, std::string_view content_type, std::string_view body,
                 std::string_view extra_headers = {});
    // Streaming: headers once, then chunks; finish() ends the response. Each write
    // is queued and sent as far as the socket takes it now; the rest goes out
    // when nginx reads. Any size.
    void write_headers(int status, std::string_view content_type,
                       std::string_view extra_headers = {});
    void write(std::string_view data);
    // True once anything of the answer was queued: an error can then no longer
    // be a status of its own, only the end of the connection.
    bool output_started() const { return output_started_; }
    // Backpressure for producers (CSV rows, events): congested() is true while
    // more than Connection::kHighWater bytes wait for nginx; a producer then
    // stops producing and calls on_drained(cb), which runs `cb` once (not
    // re-entrantly inside on_drained) when the queue is down to
    // Connection::kLowWater. Never called after finish() or a hangup.
    bool congested() const;
    void on_drained(std::function<void()> cb);

    // Ends the response; the listener sends what is still queued, then keeps the
    // connection for nginx's next request when nginx asked for that (discarding an
    // unread body record by record first), or closes it (after a lingering close
    // over an unread body). Idempotent.
    void finish();
    bool finished() const { return finished_; }
    // False once nginx is gone (closed, a write failed, dropped for send_timeout).
    bool ok() const;

  private:
    struct Handover {
        std::size_t max_body;
        bool body_buffered;  // the whole body (up to the empty STDIN record) was in the socket
        bool head_exact;     // libfcgi read nothing past the params: the body is in the socket
    };
    void read_params(const Handover& h);
    friend class Listener;

    std::unique_ptr<FCGX_Request> req_;  // until read_params is done
    std::unique_ptr<Connection> conn_;   // until finish()
    loop::EventLoop& loop_;
    // Takes the connection back after the answer (kept, lingering over an unread
    // body, or still sending); expired once the listener is gone.
    std::weak_ptr<Listener*> listener_;
    http::Request http_;
    bool finished_ = false;
    bool output_started_ = false;
    bool keep_ = false;  // nginx set FCGI_KEEP_CONN in BEGIN_REQUEST
    bool body_too_large_ = false;
    bool body_unread_ = false;
    bool head_exact_ = false;

  public:
    bool body_too_large() const { return body_too_large_; }
    // True when the body was announced but not read: too large to wait for in the
    // handshake (over ~63 KB), or the peer sent less than it announced.
    bool body_unread() const { return body_unread_; }
};

}  // namespace asyncpage::fcgi
