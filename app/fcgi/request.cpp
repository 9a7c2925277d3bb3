// fcgi::Request: reads a request's params and body through libfcgi after the
// listener made sure they are buffered, and answers through its Connection.
#include "fcgi/request.hpp"

#include <fcgiapp.h>

#include "fcgi/listener.hpp"
#include "http/security.hpp"

#include <charconv>
#include <cstring>

namespace asyncpage::fcgi {

namespace {
std::string param(FCGX_Request& r, const char* name) {
    const char* v = FCGX_GetParam(name, r.envp);
    return v ? std::string(v) : std::string();
}

// The last value of a param sent more than once. nginx sends every fastcgi_param
// line, so a site that overrides the stock `REMOTE_USER $remote_user` (filled from
// any Authorization: Basic header) sends both, and FCGX_GetParam would return the
// client's; the later line is the site's decision (README, "Security").
std::string last_param(FCGX_Request& r, std::string_view name) {
    const char* found = nullptr;
    for (char** p = r.envp; p && *p; ++p) {
        std::string_view kv(*p);
        if (kv.size() > name.size() && kv.starts_with(name) && kv[name.size()] == '=')
            found = *p + name.size() + 1;
    }
    return found ? std::string(found) : std::string();
}
}  // namespace

Request::Request(std::unique_ptr<FCGX_Request> req, std::unique_ptr<Connection> conn,
                 loop::EventLoop& loop, std::weak_ptr<Listener*> listener)
    : req_(std::move(req)), conn_(std::move(conn)), loop_(loop), listener_(std::move(listener)) {}

Request::~Request() {
    finish();
    if (req_) FCGX_Free(req_.get(), 0);
}

void Request::watch_hangup(std::function<void()> on_gone) {
    if (finished_ || !conn_) return;
    conn_->watch_hangup(std::move(on_gone));
}

void Request::unwatch_hangup() {
    if (conn_) conn_->unwatch_hangup();
}

void Request::read_params(const Handover& h) {
    FCGX_Request& r = *req_;
    http_.method = param(r, "REQUEST_METHOD");
    http_.path = param(r, "DOCUMENT_URI");
    if (http_.path.empty()) {  // not from the stock fastcgi_params: fall back to the URI
        http_.path = param(r, "REQUEST_URI");
        if (auto q = http_.path.find('?'); q != std::string::npos) http_.path.resize(q);
    } else {
        http_.base = http::mount_prefix(param(r, "REQUEST_URI"), http_.path);
    }
    http_.query = param(r, "QUERY_STRING");
    http_.accept = param(r, "HTTP_ACCEPT");
    http_.content_type = param(r, "CONTENT_TYPE");
    http_.remote_user = last_param(r, "REMOTE_USER");
    http_.remote_addr = param(r, "REMOTE_ADDR");
    http_.host = param(r, "HTTP_HOST");
    http_.origin = param(r, "HTTP_ORIGIN");
    http_.sec_fetch_site = param(r, "HTTP_SEC_FETCH_SITE");
    std::string len = param(r, "CONTENT_LENGTH");
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (ec == std::errc::result_out_of_range) n = SIZE_MAX;
    http_.content_length = n;
    body_too_large_ = n > h.max_body;
    keep_ = r.keepConnection != 0;  // libfcgi set it from BEGIN_REQUEST's FCGI_KEEP_CONN
    head_exact_ = h.head_exact;
    // FCGX_GetStr reads from the socket: the body is read only when the listener
    // saw all of it (up to its empty STDIN record) there, so it never waits (the
    // fd is non-blocking: a read that would wait fails instead). Otherwise
    // finish() has the rest discarded without blocking.
    body_unread_ = n > 0;
    if (n > 0 && h.body_buffered && !body_too_large_ && !head_exact_) {
        // Read in pieces: FCGX_GetStr takes an int.
        std::size_t got = 0;
        http_.body.resize(n);
        while (got < n) {
            std::size_t want = std::min<std::size_t>(n - got, 1 << 30);
            int k = FCGX_GetStr(http_.body.data() + got, static_cast<int>(want), r.in);
            if (k <= 0) break;
            got += static_cast<std::size_t>(k);
            if (static_cast<std::size_t>(k) < want) break;
        }
        // The peer may have sent less than it announced (libfcgi saw the end of
        // STDIN): what came is the body. Nothing is left to drain either way.
        http_.body.resize(got);
        body_unread_ = false;
    }
    // Everything is copied out: libfcgi's streams and params are freed, and it
    // never writes (FCGX_Free with close = 0 leaves the fd to the connection).
    FCGX_Free(req_.get(), 0);
    req_.reset();
    if (conn_) conn_->set_label(http_.method + " " + http_.path);
}

void Request::write_headers(int status, std::string_view content_type,
                            std::string_view extra_headers) {
    std::string head;
    head.reserve(128 + extra_headers.size());
    head += "Status: ";
    head += http::status_line(status);
    head += "\r\nContent-Type: ";
    head += content_type;
    head += "\r\n";
    head += http::security_headers(content_type);
    head += extra_headers;
    head += "\r\n";
    write(head);
}

void Request::write(std::string_view data) {
    if (finished_ || !conn_ || data.empty()) return;
    output_started_ = true;
    conn_->append(data);
    conn_->send();
}

bool Request::ok() const {
    return conn_ && conn_->ok();
}

bool Request::congested() const {
    return conn_ && conn_->congested();
}

void Request::on_drained(std::function<void()> cb) {
    if (finished_ || !conn_) return;
    conn_->on_drained(std::move(cb));
}

void Request::respond(int status, std::string_view content_type, std::string_view body,
                      std::string_view extra_headers) {
    if (finished_ || !conn_) return;
    std::string head;
    head.reserve(160 + extra_headers.size());
    head += "Status: ";
    head += http::status_line(status);
    head += "\r\nContent-Type: ";
    head += content_type;
    head += "\r\nContent-Length: ";
    head += std::to_string(body.size());
    head += "\r\n";
    head += http::security_headers(content_type);
    head += extra_headers;
    head += "\r\n";
    // Queued together with the end records: one write for a whole small answer.
    conn_->append(head);
    conn_->append(body);
    finish();
}

void Request::finish() {
    if (finished_) return;
    finished_ = true;
    if (!conn_) return;
    auto listener = listener_.lock();
    if (!listener || !conn_->ok()) {
        // Nobody to hand the connection to (worker shutdown), or nginx is gone:
        // close it once this pass is over (we may be inside its own handler).
        conn_->unwatch_hangup();
        loop_.close_later(std::move(conn_));
        return;
    }
    // With head_exact_ the socket holds the request's STDIN records, body or
    // not, whatever CONTENT_LENGTH said.
    bool unread = body_unread_ || head_exact_;
    Listener::After after = Listener::After::Close;
    if (keep_ && (*listener)->accepting()) {
        // Without head_exact_, libfcgi may have read into the body: its records
        // cannot be found again in the socket, so the connection is not kept.
        if (!unread) {
            after = Listener::After::Keep;
        } else if (head_exact_) {
            after = Listener::After::DiscardThenKeep;
        } else {
            after = Listener::After::Linger;
        }
    } else if (unread) {
        // Closing with an unread body in the socket makes the kernel reset the
        // connection, and nginx may lose the answer we just wrote (seen with 413s).
        after = Listener::After::Linger;
    }
    (*listener)->finish(std::move(conn_), after);
}

}  // namespace asyncpage::fcgi
