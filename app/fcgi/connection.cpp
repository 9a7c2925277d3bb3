// fcgi::Connection: the non-blocking output queue of one FastCGI request, its
// hangup watch, the send_timeout, and the exact discard of an unread body.
#include "fcgi/connection.hpp"

#include <fastcgi.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fcgi/record.hpp"

namespace asyncpage::fcgi {

namespace {
constexpr std::size_t kChunk = 64 * 1024;  // small writes are appended to the last chunk
constexpr int kIov = 64;                   // chunks per sendmsg
}  // namespace

Connection::Connection(loop::EventLoop& loop, int fd, std::uint16_t request_id, Millis send_timeout)
    : loop_(loop), fd_(fd), request_id_(request_id), send_timeout_(send_timeout) {
    update_interest();
}

Connection::~Connection() {
    loop_.cancel_timer(timer_);
    if (fd_ >= 0) {
        if (events_ != 0) loop_.unwatch(fd_);
        ::close(fd_);
    }
}

int Connection::release_fd() {
    int fd = fd_;
    events_ = 0;  // the registration, if any, is the new owner's to rebind
    fd_ = -1;
    state_ = ConnState::Done;
    loop_.cancel_timer(timer_);
    timer_ = 0;
    on_gone_ = nullptr;
    on_drained_ = nullptr;
    return fd;
}

void Connection::append(std::string_view data) {
    if (!ok_ || state_ != ConnState::Serving || data.empty()) return;
    std::size_t size = stdout_framed_size(data.size());
    if (queued_ == 0) last_progress_ = loop_.now();  // the peer's clock starts now
    if (out_.empty() || out_.back().size() + size > kChunk) {
        out_.emplace_back();
    }
    append_stdout(out_.back(), request_id_, data);
    queued_ += size;
}

void Connection::send() {
    if (flush()) update_interest();
}

void Connection::on_drained(Callback cb) {
    on_drained_ = std::move(cb);
}

void Connection::watch_hangup(Callback on_gone) {
    if (!ok_ || state_ != ConnState::Serving) return;
    on_gone_ = std::move(on_gone);
    update_interest();  // after an unheard close: POLLRDHUP again, told next pass
}

// The fd stays watched for POLLRDHUP (interest()): dropping it here and taking
// it again for the next request would cost two epoll_ctl calls a page.
void Connection::unwatch_hangup() {
    on_gone_ = nullptr;
}

void Connection::end(std::uint32_t app_status, bool discard_body,
                     std::function<void(bool ok)> done) {
    if (state_ != ConnState::Serving) return;
    on_gone_ = nullptr;
    on_drained_ = nullptr;
    done_ = std::move(done);
    if (!ok_) {  // nothing more can be written: the owner closes it
        state_ = ConnState::Ending;
        check_done();
        return;
    }
    if (queued_ == 0) last_progress_ = loop_.now();
    if (out_.empty()) out_.emplace_back();
    std::size_t before = out_.back().size();
    append_end(out_.back(), request_id_, app_status);
    queued_ += out_.back().size() - before;
    state_ = ConnState::Ending;
    discarding_ = discard_body;
    if (discarding_) last_progress_ = loop_.now();
    if (!flush()) return;
    if (discarding_ && !discard()) return;
    update_interest();
    check_done();
}

// Writes what the socket takes. MSG_NOSIGNAL: a peer that left must not raise
// SIGPIPE.
bool Connection::flush() {
    while (queued_ > 0 && ok_) {
        iovec iov[kIov];
        int n = 0;
        std::size_t off = front_sent_;
        for (auto it = out_.begin(); it != out_.end() && n < kIov; ++it, ++n) {
            iov[n].iov_base = it->data() + off;
            iov[n].iov_len = it->size() - off;
            off = 0;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(n);
        ssize_t w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            fail(std::string("write failed: ") + std::strerror(errno), false);
            return false;
        }
        auto left = static_cast<std::size_t>(w);
        queued_ -= left;
        last_progress_ = loop_.now();
        while (left > 0) {
            std::size_t in_front = out_.front().size() - front_sent_;
            if (left < in_front) {
                front_sent_ += left;
                break;
            }
            left -= in_front;
            out_.pop_front();
            front_sent_ = 0;
        }
    }
    if (on_drained_ && queued_ <= kLowWater && state_ == ConnState::Serving) {
        Callback cb = std::move(on_drained_);
        on_drained_ = nullptr;
        update_interest();
        cb();  // may write (send() again) or end the request
        return false;
    }
    return true;
}

// Reads and drops the request's remaining STDIN records, never a byte past the
// empty one that ends it (FastCGI spec §5.3): nginx sends its next request on a
// kept connection right behind it.
bool Connection::discard() {
    unsigned char scratch[16384];
    while (discarding_) {
        void* into;
        std::size_t want;
        if (header_have_ < sizeof header_) {
            into = header_ + header_have_;
            want = sizeof header_ - header_have_;
        } else {
            into = scratch;
            want = skip_ < sizeof scratch ? skip_ : sizeof scratch;
        }
        ssize_t n = want == 0 ? 0 : ::recv(fd_, into, want, MSG_DONTWAIT);
        if (want > 0) {
            if (n == 0) {
                fail("closed before the end of the request body", false);
                return false;
            }
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
                fail(std::string("read failed: ") + std::strerror(errno), false);
                return false;
            }
            last_progress_ = loop_.now();
        }
        if (header_have_ < sizeof header_) {
            header_have_ += static_cast<std::size_t>(n);
            if (header_have_ < sizeof header_) continue;
            if (header_[0] != FCGI_VERSION_1 || header_[1] != FCGI_STDIN) {
                fail("unexpected record while discarding the request body", true);
                return false;
            }
            std::size_t content = (std::size_t(header_[4]) << 8) | header_[5];
            skip_ = content + header_[6];
            last_record_ = content == 0;
        } else {
            skip_ -= static_cast<std::size_t>(n);
        }
        if (skip_ == 0) {
            header_have_ = 0;
            if (last_record_) discarding_ = false;
        }
    }
    return true;
}

// While nginx may still be there, the fd is watched for its close (POLLRDHUP)
// and for input (POLLIN) whether or not anyone listens: the same interest the
// listener has while waiting for the next request on a kept connection, so that
// handing the fd back and forth changes nothing in the kernel. POLLIN is dropped
// once bytes come that are not ours to read (they would wake every pass), and
// both once nginx's close was seen with nobody to tell.
short Connection::interest() const {
    if (!ok_ || state_ == ConnState::Done) return 0;
    short ev = 0;
    if (!hung_up_ || on_gone_) ev |= POLLRDHUP;
    if (discarding_ || (!stray_input_ && !hung_up_)) ev |= POLLIN;
    if (queued_ > 0) ev |= POLLOUT;
    return ev;
}

void Connection::update_interest() {
    if (fd_ < 0) return;
    short ev = interest();
    if (ev != events_) {
        if (ev == 0) {
            loop_.unwatch(fd_);
        } else if (events_ == 0) {
            loop_.rebind(fd_, ev, [this](short revents) { on_io(revents); });
        } else {
            loop_.set_events(fd_, ev);
        }
        events_ = ev;
    }
    if ((queued_ > 0 || discarding_) && ok_) arm_timer();
}

void Connection::on_io(short revents) {
    if (fd_ < 0 || !ok_) return;
    if (revents & (POLLOUT | POLLERR | POLLHUP)) {
        if (queued_ > 0 && !flush()) return;
    }
    if (discarding_ && (revents & (POLLIN | POLLERR | POLLHUP))) {
        if (!discard()) return;
    }
    if (revents & (POLLRDHUP | POLLERR | POLLHUP)) {
        // nginx sends no ABORT_REQUEST; it closes the connection when the
        // client leaves (docs/ARCHITECTURE.md, "libfcgi").
        if (on_gone_) {
            fail("nginx closed the connection", false);
            return;
        }
        hung_up_ = true;  // a write or the next watch_hangup will tell
    } else if ((revents & POLLIN) && !discarding_) {
        stray_input_ = true;
    }
    update_interest();
    check_done();
}

void Connection::arm_timer() {
    if (timer_ != 0) return;
    timer_ = loop_.add_timer(last_progress_ + send_timeout_, [this] { on_timer(); });
}

// nginx-style: a timer per connection, rearmed from the last progress, so that
// writes do not touch the timer heap.
void Connection::on_timer() {
    timer_ = 0;
    if (!ok_ || (queued_ == 0 && !discarding_)) return;
    if (loop_.now() - last_progress_ < send_timeout_) {
        arm_timer();
        return;
    }
    fail(fmt::format("peer took no output for {} ms with {} bytes queued{}", send_timeout_.count(),
                     queued_, discarding_ ? " (or sent no body)" : ""),
         true);
}

// The one way out for a failing connection: stop watching, drop the output, and
// tell the owner (its Request's hangup callback while Serving, the Listener's
// done callback while Ending). The fd stays open until the owner closes it.
void Connection::fail(const std::string& why, bool log_it) {
    if (!ok_) return;
    ok_ = false;
    if (log_it) {
        spdlog::warn("fastcgi connection dropped{}{}: {}", label_.empty() ? "" : " answering ",
                     label_, why);
    } else {
        spdlog::debug("fastcgi connection ended{}{}: {}", label_.empty() ? "" : " answering ",
                      label_, why);
    }
    out_.clear();
    queued_ = 0;
    front_sent_ = 0;
    discarding_ = false;
    on_drained_ = nullptr;
    loop_.cancel_timer(timer_);
    timer_ = 0;
    Callback gone = std::move(on_gone_);
    on_gone_ = nullptr;
    update_interest();
    if (state_ == ConnState::Serving) {
        if (gone) gone();
        return;
    }
    check_done();
}

void Connection::check_done() {
    if (state_ != ConnState::Ending || !done_) return;
    if (ok_ && (queued_ > 0 || discarding_)) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok_);
}

}  // namespace asyncpage::fcgi
