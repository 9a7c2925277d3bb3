// fcgi::Request: reads a request's params and body through libfcgi after the
// listener made sure they are buffered, and writes the response.
#include "fcgi/request.hpp"

#include <fcgiapp.h>

#include "fcgi/listener.hpp"
#include "http/security.hpp"

#include <sys/socket.h>

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

Request::Request(std::unique_ptr<FCGX_Request> req, loop::EventLoop& loop,
                 std::weak_ptr<Listener*> listener)
    : req_(std::move(req)), loop_(loop), listener_(std::move(listener)) {}

Request::~Request() {
    finish();
}

void Request::watch_hangup(std::function<void()> on_gone) {
    if (finished_) return;
    hangup_watched_ = true;
    // POLLRDHUP only: unread request bytes must not wake us.
    loop_.watch(req_->ipcFd, POLLRDHUP, [on_gone = std::move(on_gone)](short) { on_gone(); });
}

void Request::unwatch_hangup() {
    if (!hangup_watched_) return;
    hangup_watched_ = false;
    loop_.unwatch(req_->ipcFd);
}

void Request::read_params(std::size_t max_body, bool body_buffered) {
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
    body_too_large_ = n > max_body;
    // FCGX_GetStr reads with blocking reads: the body is read only when the
    // listener saw all of it (up to its empty STDIN record) in the socket, so a
    // peer that announces a body and stalls cannot stall the worker. Otherwise
    // finish() drains whatever the peer sends, without blocking.
    body_unread_ = n > 0;
    if (n > 0 && body_buffered && !body_too_large_) {
        http_.body.resize(n);
        int got = FCGX_GetStr(http_.body.data(), static_cast<int>(n), r.in);
        http_.body.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
        // The peer may have sent less than it announced (libfcgi saw the end of
        // STDIN): what came is the body. Nothing is left to drain either way.
        body_unread_ = false;
    }
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
    if (finished_ || !ok_ || data.empty()) return;
    if (FCGX_PutStr(data.data(), static_cast<int>(data.size()), req_->out) < 0) ok_ = false;
}

void Request::flush() {
    if (!finished_ && ok_ && FCGX_FFlush(req_->out) < 0) ok_ = false;
}

void Request::respond(int status, std::string_view content_type, std::string_view body,
                      std::string_view extra_headers) {
    std::string out;
    out.reserve(160 + extra_headers.size() + body.size());
    out += "Status: ";
    out += http::status_line(status);
    out += "\r\nContent-Type: ";
    out += content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
    out += http::security_headers(content_type);
    out += extra_headers;
    out += "\r\n";
    out += body;
    write(out);
    finish();
}

void Request::finish() {
    if (finished_) return;
    finished_ = true;
    unwatch_hangup();
    // Without FCGX_Detach, FCGX_Finish_r shuts the socket down and waits up to 2 s
    // for nginx's EOF, blocking the loop (LIBFCGI_OS_CLOSE_POLL_TIMEOUT; docs/ARCHITECTURE.md,
    // "libfcgi").
    FCGX_Detach(req_.get());
    int fd = req_->ipcFd;
    auto listener = listener_.lock();
    // Closing with an unread body in the socket makes the kernel reset the
    // connection, and nginx may lose the answer we just wrote (seen with 413s).
    // Keep the fd, shut down our side, and let the listener discard the rest.
    bool unread = body_unread_ && listener && fd >= 0;
    // libfcgi set keepConnection from nginx's BEGIN_REQUEST flag (FCGI_KEEP_CONN).
    bool keep =
        !unread && req_->keepConnection && ok_ && listener && fd >= 0 && (*listener)->accepting();
    req_->keepConnection = (unread || keep) ? 1 : 0;
    // Closes the fd itself when the answer could not be written, kept or not.
    FCGX_Finish_r(req_.get());
    if (unread) {
        ::shutdown(fd, SHUT_WR);
        (*listener)->linger(fd);
    } else if (keep && req_->ipcFd >= 0) {
        (*listener)->keep(fd);
    }
}

}  // namespace asyncpage::fcgi
