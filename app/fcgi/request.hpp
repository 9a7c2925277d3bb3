#pragma once
// One FastCGI request: the only type outside fcgi/ that stands for libfcgi's
// FCGX_Request. Writes go straight to nginx (blocking fd: docs/ARCHITECTURE.md, "libfcgi", says
// why). When nginx asked to keep the connection (fastcgi_keep_conn on), finish() hands it back to
// the listener, which waits for nginx's next request on it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "loop/event_loop.hpp"

struct FCGX_Request;

namespace asyncpage::fcgi {

class Listener;

class Request {
  public:
    Request(std::unique_ptr<FCGX_Request> req, loop::EventLoop& loop,
            std::weak_ptr<Listener*> listener);
    ~Request();
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    const http::Request& http() const { return http_; }

    // Calls `on_gone` when nginx closes the connection before the answer: the
    // browser left (nginx sends no ABORT_REQUEST; docs/ARCHITECTURE.md, "libfcgi"). Watched until
    // unwatch_hangup() or finish(), which also stop it: the fd may serve nginx's
    // next request after that, so nobody else may watch or unwatch it.
    void watch_hangup(std::function<void()> on_gone);
    void unwatch_hangup();

    // A whole response: Status, Content-Type, extra header lines ("Name: value\r\n"
    // each), body; then finish().
    void respond(int status, std::string_view content_type, std::string_view body,
                 std::string_view extra_headers = {});
    // Streaming: headers once, then chunks; finish() ends the response.
    void write_headers(int status, std::string_view content_type,
                       std::string_view extra_headers = {});
    void write(std::string_view data);
    void flush();
    // Ends the response; keeps the connection for nginx's next request when nginx
    // asked for that, else closes it without libfcgi's 2 s linger (FCGX_Detach
    // first; docs/ARCHITECTURE.md, "libfcgi"). Idempotent.
    void finish();
    bool finished() const { return finished_; }
    // False once a write failed (nginx closed the connection).
    bool ok() const { return ok_; }

  private:
    void read_params(std::size_t max_body, bool body_buffered);
    friend class Listener;

    std::unique_ptr<FCGX_Request> req_;
    loop::EventLoop& loop_;
    // Takes the connection back after the answer (kept, or lingering over an
    // unread body); expired once the listener is gone.
    std::weak_ptr<Listener*> listener_;
    http::Request http_;
    bool hangup_watched_ = false;
    bool finished_ = false;
    bool ok_ = true;
    bool body_too_large_ = false;
    bool body_unread_ = false;

  public:
    bool body_too_large() const { return body_too_large_; }
    // True when the body was announced but not read: too large to wait for in the
    // handshake (over ~63 KB), or the peer sent less than it announced.
    bool body_unread() const { return body_unread_; }
};

}  // namespace asyncpage::fcgi
