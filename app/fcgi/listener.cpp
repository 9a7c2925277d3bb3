// The worker's accept path: accept4 on the shared non-blocking listen socket,
// a peek-only handshake until the request's params are all buffered, then
// FCGX_Accept_r on the accepted fd. Also opens the listen socket for the supervisor.
#include "fcgi/listener.hpp"
#include "fcgi/records.hpp"

#include <arpa/inet.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace asyncpage::fcgi {

namespace {
constexpr std::size_t kPeekLimit = 64 * 1024;  // params larger than this are refused
constexpr Millis kHandshakeTimeout{5000};
// A kept connection waits for nginx's next request as long as nginx keeps it
// (its upstream keepalive_timeout, 60 s by default): nginx closes it first.
constexpr Millis kIdleTimeout{600000};
constexpr int kAcceptBurst = 256;  // accepts per wakeup, so pages keep flowing too
// The same interest as a connection being answered (fcgi::Connection::interest):
// passing a kept fd between them costs no system call.
constexpr short kHandshakeEvents = POLLIN | POLLRDHUP;

std::runtime_error sys_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

int open_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw std::runtime_error("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
        // Never unlink a socket a live server holds (FCGX_OpenSocket would): probe it.
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        int err = errno;
        ::close(probe);
        if (rc == 0) throw std::runtime_error("another server is listening on " + path);
        if (err != ECONNREFUSED && err != ENOENT) {
            errno = err;
            throw sys_error("cannot probe existing socket " + path);
        }
        ::unlink(path.c_str());  // stale: nobody behind it
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw sys_error("socket");
    // Created 0660 from the start: no window in which others may connect.
    mode_t old = ::umask(0117);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) {
        ::close(fd);
        throw sys_error("bind " + path);
    }
    ::chmod(path.c_str(), 0660);
    return fd;
}

int open_tcp(const std::string& listen) {
    auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    int port = std::stoi(listen.substr(colon + 1));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        throw std::runtime_error("listen: not an IPv4 address: " + host);
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw sys_error("socket");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw sys_error("bind " + listen);
    }
    return fd;
}

}  // namespace

// The record walk below is pure (bytes in, verdict out): declared in
// fcgi/records.hpp so that tests/fuzz can run it on hostile input.

// CONTENT_LENGTH from FastCGI name-value pairs (spec §3.4: 1- or 4-byte lengths);
// 0 when absent or not a number.
std::size_t content_length_of(const std::string& pairs) {
    std::size_t off = 0;
    auto length = [&](std::size_t& out) {
        if (off >= pairs.size()) return false;
        auto b = static_cast<unsigned char>(pairs[off]);
        if (b < 0x80) {
            out = b;
            ++off;
            return true;
        }
        if (off + 4 > pairs.size()) return false;
        out = ((std::size_t(b) & 0x7f) << 24) |
              (std::size_t(static_cast<unsigned char>(pairs[off + 1])) << 16) |
              (std::size_t(static_cast<unsigned char>(pairs[off + 2])) << 8) |
              std::size_t(static_cast<unsigned char>(pairs[off + 3]));
        off += 4;
        return true;
    };
    while (off < pairs.size()) {
        std::size_t nlen = 0, vlen = 0;
        if (!length(nlen) || !length(vlen) || off + nlen + vlen > pairs.size()) return 0;
        if (std::string_view(pairs).substr(off, nlen) == "CONTENT_LENGTH") {
            std::size_t n = 0;
            for (char c : std::string_view(pairs).substr(off + nlen, vlen)) {
                if (c < '0' || c > '9' || n > (SIZE_MAX - 9) / 10) return 0;
                n = n * 10 + std::size_t(c - '0');
            }
            return n;
        }
        off += nlen + vlen;
    }
    return 0;
}

// Walks the FastCGI records peeked so far (FastCGI spec §3.3: 8-byte header,
// content, padding): complete once BEGIN_REQUEST and the empty PARAMS record are
// in and, for a request with a body that fits the peek buffer, the empty STDIN
// record too, so that libfcgi's reads of params and body never wait (docs/ARCHITECTURE.md,
// "libfcgi").
Peek check_records(const unsigned char* buf, std::size_t n, const char** why, PeekedHead* head) {
    std::size_t off = 0;
    bool begun = false;
    bool params_done = false;
    std::size_t& body = head->body;
    std::string pairs;
    *head = PeekedHead{};
    while (off + 8 <= n) {
        const unsigned char* h = buf + off;
        if (h[0] != FCGI_VERSION_1) {
            *why = "not FastCGI (bad version byte)";
            return Peek::Bad;
        }
        std::size_t content = (std::size_t(h[4]) << 8) | h[5];
        std::size_t total = 8 + content + h[6];
        if (off + total > n) break;
        switch (h[1]) {
            case FCGI_BEGIN_REQUEST:
                if (begun || content != 8) {
                    *why = "bad BEGIN_REQUEST";
                    return Peek::Bad;
                }
                begun = true;
                head->keep = (h[8 + 2] & FCGI_KEEP_CONN) != 0;  // FCGI_BeginRequestBody.flags
                break;
            case FCGI_PARAMS:
                if (!begun || params_done) {
                    *why = begun ? "PARAMS after the end of PARAMS" : "PARAMS before BEGIN_REQUEST";
                    return Peek::Bad;
                }
                if (content == 0) {
                    params_done = true;
                    head->head_len = off + total;
                    body = content_length_of(pairs);
                    // No body, or one too large to wait for in the socket buffer:
                    // hand over now (the body then stays unread).
                    if (body == 0 || body > kPeekLimit - 1024) return Peek::Complete;
                } else {
                    pairs.append(reinterpret_cast<const char*>(h + 8), content);
                }
                break;
            case FCGI_STDIN:
                if (!params_done) {
                    *why = "STDIN before the end of PARAMS";
                    return Peek::Bad;
                }
                if (content == 0) {
                    head->body_buffered = true;
                    return Peek::Complete;
                }
                break;
            case FCGI_GET_VALUES:  // management record: libfcgi answers it
                break;
            default:
                *why = "unexpected record type before the end of the request";
                return Peek::Bad;
        }
        off += total;
    }
    if (n >= kPeekLimit) {
        if (params_done) return Peek::Complete;  // body larger than we wait for
        *why = "request params larger than 64 KB";
        return Peek::Bad;
    }
    return Peek::Incomplete;
}
// Bytes of the complete STDIN records at the start of buf. nginx sends a
// request's STDIN only after its BEGIN_REQUEST, so on a kept connection leading
// STDIN records are the previous request's.
std::size_t previous_records(const unsigned char* buf, std::size_t n) {
    std::size_t off = 0;
    while (off + 8 <= n && buf[off] == FCGI_VERSION_1 && buf[off + 1] == FCGI_STDIN) {
        std::size_t total = 8 + ((std::size_t(buf[off + 4]) << 8) | buf[off + 5]) + buf[off + 6];
        if (off + total > n) break;
        off += total;
    }
    return off;
}

int open_listen_socket(const std::string& listen) {
    int fd = (!listen.empty() && listen[0] == '/') ? open_unix(listen) : open_tcp(listen);
    if (::listen(fd, SOMAXCONN) != 0) {
        ::close(fd);
        throw sys_error("listen " + listen);
    }
    return fd;
}

Listener::Listener(loop::EventLoop& loop, int listen_fd, std::size_t max_body, Millis send_timeout,
                   OnRequest on_request)
    : loop_(loop),
      listen_fd_(listen_fd),
      max_body_(max_body),
      send_timeout_(send_timeout),
      on_request_(std::move(on_request)) {
    loop_.watch(listen_fd_, POLLIN, [this](short) { on_acceptable(); });
}

Listener::~Listener() {
    stop();
    while (!lingering_.empty())
        end_linger(lingering_.begin()->first);
    ending_.clear();  // closes their fds
}

void Listener::finish(std::unique_ptr<Connection> conn, After after) {
    int fd = conn->fd();
    Connection& c = *conn;
    ending_[fd] = std::move(conn);
    c.end(0, after == After::DiscardThenKeep,
          [this, fd, after](bool ok) { end_connection(fd, after, ok); });
}

// The answer is out (ok), or the peer failed or was dropped: the connection is
// freed after this pass (this runs inside its own handler), its fd kept, lingered
// over or closed.
void Listener::end_connection(int fd, After after, bool ok) {
    auto it = ending_.find(fd);
    if (it == ending_.end()) return;
    std::unique_ptr<Connection> conn = std::move(it->second);
    ending_.erase(it);
    if (!ok) {
        loop_.close_later(std::move(conn));  // closes the fd
        return;
    }
    // The fd may still be watched with the connection's handler: keep and
    // linger rebind it, closing unwatches it first.
    conn->release_fd();
    loop_.close_later(std::move(conn));
    switch (after) {
        case After::Keep:
        case After::DiscardThenKeep:
            if (!stopped_) {
                keep(fd);
                return;
            }
            loop_.unwatch(fd);
            ::close(fd);
            return;
        case After::Linger:
            ::shutdown(fd, SHUT_WR);
            linger(fd);
            return;
        case After::Close:
            loop_.unwatch(fd);
            ::close(fd);
            return;
    }
}

void Listener::linger(int fd) {
    // Like nginx's lingering close: read and drop what the peer still sends until
    // it closes, for at most a few seconds, without blocking the loop.
    auto timer = loop_.add_timer(Millis(5000), [this, fd] { end_linger(fd); });
    lingering_.emplace(fd, timer);
    loop_.rebind(fd, POLLIN, [this, fd](short) {
        char buf[16384];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            end_linger(fd);  // EOF or error
            return;
        }
    });
}

void Listener::end_linger(int fd) {
    auto it = lingering_.find(fd);
    if (it == lingering_.end()) return;
    loop_.cancel_timer(it->second);
    loop_.unwatch(fd);
    lingering_.erase(it);
    ::close(fd);
}

void Listener::stop() {
    if (!stopped_) {
        stopped_ = true;
        loop_.unwatch(listen_fd_);
        loop_.cancel_timer(resume_timer_);
    }
    while (!handshakes_.empty())
        drop_handshake(handshakes_.begin()->first, "shutting down");
}

void Listener::pause_accepting(Millis how_long) {
    // EMFILE & co: the listen socket stays readable, so polling it would spin
    // (measured: 480k failed accepts in 6 s). Look away for a moment instead.
    loop_.unwatch(listen_fd_);
    resume_timer_ = loop_.add_timer(how_long, [this] {
        resume_timer_ = 0;
        if (!stopped_) loop_.watch(listen_fd_, POLLIN, [this](short) { on_acceptable(); });
    });
}

void Listener::on_acceptable() {
    for (int i = 0; i < kAcceptBurst && !stopped_; ++i) {
        // Non-blocking: libfcgi only reads what the handshake saw in the socket,
        // and the answer goes out through fcgi::Connection's queue
        // (docs/ARCHITECTURE.md, "Output").
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // another worker won
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                if (loop_.now() - last_pause_log_ >= Millis(10000)) {  // not 10 lines a second
                    last_pause_log_ = loop_.now();
                    spdlog::warn("accept failed, pausing accepts for 100 ms at a time: {}",
                                 std::strerror(errno));
                }
                // Idle kept connections hold fds that the connections waiting
                // in the backlog need, and nginx would keep them: close them.
                shed_idle();
                pause_accepting(Millis(100));
                return;
            }
            spdlog::error("accept failed: {}", std::strerror(errno));
            return;
        }
        ++accepted_;
        start_handshake(fd, false);
        on_handshake_readable(fd);  // nginx usually sent everything already
    }
}

void Listener::start_handshake(int fd, bool idle) {
    arm(handshakes_[fd] = Handshake{fd, 0, idle});
}

// (Re)starts the handshake's timer for its phase: idle, or a request arriving.
void Listener::arm(Handshake& h) {
    loop_.cancel_timer(h.timer);
    int fd = h.fd;
    h.timer = loop_.add_timer(h.idle ? kIdleTimeout : kHandshakeTimeout, [this, fd, idle = h.idle] {
        drop_handshake(fd,
                       idle ? "kept connection idle for 10 min" : "request not complete in 5 s");
    });
}

void Listener::shed_idle() {
    std::vector<int> idle;
    for (const auto& [fd, h] : handshakes_)
        if (h.idle) idle.push_back(fd);
    for (int fd : idle)
        drop_handshake(fd, "out of file descriptors");
}

void Listener::keep(int fd) {
    start_handshake(fd, true);
    loop_.rebind(fd, kHandshakeEvents, [this, fd](short) { on_handshake_readable(fd); });
}

void Listener::on_handshake_readable(int fd) {
    auto it = handshakes_.find(fd);
    if (it == handshakes_.end()) return;
    bool idle = it->second.idle;
    unsigned char peeked[kPeekLimit];
    const unsigned char* buf = peeked;
    ssize_t n = ::recv(fd, peeked, sizeof peeked, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
        drop_handshake(fd, idle ? "nginx closed the kept connection"
                                : "closed before the request was complete");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            drop_handshake(fd, std::strerror(errno));
            return;
        }
        n = 0;
    }
    if (idle && n > 0) {
        // The previous request's last STDIN record (empty) may still be in the
        // socket: libfcgi stops reading once it has what it needs. Read it out of
        // the way (the peeked bytes are in the socket: this cannot block).
        std::size_t skip = previous_records(peeked, std::size_t(n));
        if (skip > 0 && ::recv(fd, peeked, skip, MSG_DONTWAIT) != ssize_t(skip)) {
            drop_handshake(fd, "cannot read the previous request's records");
            return;
        }
        buf += skip;
        n -= ssize_t(skip);
        if (n > 0) {  // the next request begins: it has 5 s to arrive whole
            it->second.idle = false;
            arm(it->second);
        }
    }
    const char* why = "";
    PeekedHead peeked_head;
    switch (check_records(buf, static_cast<std::size_t>(n), &why, &peeked_head)) {
        case Peek::Complete:
            hand_over(fd, Head{peeked_head.body_buffered, peeked_head.keep, peeked_head.head_len,
                               peeked_head.body});
            return;
        case Peek::Bad:
            drop_handshake(fd, why);
            return;
        case Peek::Incomplete:
            if (n == 0) {  // nothing yet: POLLIN will say when it comes
                loop_.rebind(fd, kHandshakeEvents,
                             [this, fd](short) { on_handshake_readable(fd); });
                return;
            }
            // POLLIN is level-triggered and peeking consumes nothing: polling for
            // "more data" would spin. Re-check on a short timer instead; nginx
            // sends whole requests, so only slow or hostile peers land here.
            loop_.unwatch(fd);
            loop_.add_timer(Millis(10), [this, fd] {
                if (handshakes_.count(fd)) on_handshake_readable(fd);
            });
            return;
    }
}

void Listener::drop_handshake(int fd, const char* why) {
    auto it = handshakes_.find(fd);
    if (it == handshakes_.end()) return;
    bool idle = it->second.idle;
    loop_.cancel_timer(it->second.timer);
    loop_.unwatch(fd);
    handshakes_.erase(it);
    ::close(fd);
    if (idle) {  // the normal end of a kept connection
        spdlog::debug("kept fastcgi connection closed: {}", why);
        return;
    }
    ++rejected_;
    spdlog::info("fastcgi connection dropped: {}", why);
}

namespace {
// Gives libfcgi exactly the request's head (BEGIN_REQUEST and PARAMS records) on a
// socket pair of its own, so that it cannot read ahead into the body: its reader
// takes up to 8 KB at a time, and the body's records must stay whole in the
// connection for fcgi::Connection to discard them exactly. False when the head
// could not be moved (the connection is then to be dropped).
bool feed_head(int fd, std::size_t head_len, int* libfcgi_fd) {
    std::string head(head_len, '\0');
    // The head was peeked: it is in the socket, this cannot wait.
    if (::recv(fd, head.data(), head_len, MSG_DONTWAIT) != ssize_t(head_len)) return false;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return false;
    // At most 64 KB (kPeekLimit): within a Unix socket's buffer.
    bool sent =
        ::send(pair[1], head.data(), head_len, MSG_DONTWAIT | MSG_NOSIGNAL) == ssize_t(head_len);
    ::close(pair[1]);  // libfcgi then meets EOF, never a wait, should it read on
    if (!sent) {
        ::close(pair[0]);
        return false;
    }
    *libfcgi_fd = pair[0];
    return true;
}
}  // namespace

void Listener::hand_over(int fd, const Head& head) {
    auto it = handshakes_.find(fd);
    loop_.cancel_timer(it->second.timer);
    // A kept fd stays watched: its Connection takes the registration over.
    handshakes_.erase(it);

    auto req = std::make_unique<FCGX_Request>();
    // listen_sock -1: if libfcgi rejects the params it closes fd and tries to accept
    // anew; on -1 that fails at once instead of taking a connection past our guard.
    FCGX_InitRequest(req.get(), -1, 0);
    // A kept connection whose body libfcgi will not read: after the answer, the
    // body is discarded record by record (Listener::After::DiscardThenKeep), so
    // libfcgi must not have read into it.
    bool exact = head.keep && head.body > 0 && !(head.body_buffered && head.body <= max_body_);
    int libfcgi_fd = fd;
    if (exact && !feed_head(fd, head.head_len, &libfcgi_fd)) {
        ++rejected_;
        spdlog::info("fastcgi connection dropped: cannot hand its params to libfcgi: {}",
                     std::strerror(errno));
        loop_.unwatch(fd);
        ::close(fd);
        return;
    }
    req->ipcFd = libfcgi_fd;
    req->keepConnection = 1;  // or FCGX_Accept_r's opening FCGX_Finish_r closes fd
    int rc = FCGX_Accept_r(req.get());
    if (rc < 0 || req->ipcFd < 0) {
        // libfcgi already closed the connection (its copy of the head, when exact).
        loop_.unwatch(fd);
        if (exact) ::close(fd);
        ++rejected_;
        spdlog::info("fastcgi request rejected by libfcgi ({})", rc);
        return;
    }
    if (exact) {
        ::close(libfcgi_fd);
        req->ipcFd = fd;
    }
    auto id = static_cast<std::uint16_t>(req->requestId);
    auto request = std::make_unique<Request>(
        std::move(req), std::make_unique<Connection>(loop_, fd, id, send_timeout_), loop_, self_);
    request->read_params(Request::Handover{max_body_, head.body_buffered, exact});
    on_request_(std::move(request));
}

}  // namespace asyncpage::fcgi
