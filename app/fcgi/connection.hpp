#pragma once
// The socket of one FastCGI request once libfcgi has read its params: a
// non-blocking fd with a queue of framed output records that goes out as nginx
// takes it (flushed on POLLOUT), never blocking the loop. It also watches for
// nginx leaving (POLLRDHUP), drops a peer that takes no output for send_timeout,
// and, once the answer is written, discards the rest of an unread body record by
// record so that a kept connection can serve nginx's next request
// (docs/ARCHITECTURE.md, "Output").
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "loop/event_loop.hpp"

namespace asyncpage::fcgi {

enum class ConnState {
    Serving,  // its fcgi::Request owns it: output queued and sent as it is written
    Ending,   // answered (END_REQUEST queued); the Listener owns it until the output
              // is out and, when asked, the request body is discarded
    Done,     // its fd is closed or handed back to the Listener
};

class Connection {
  public:
    using Callback = std::function<void()>;
    // Producers pause while more than kHighWater bytes are queued and resume once
    // the queue is down to kLowWater (Request::congested, Request::on_drained).
    static constexpr std::size_t kHighWater = 512 * 1024;
    static constexpr std::size_t kLowWater = 128 * 1024;

    // Takes `fd` (non-blocking) for the request `request_id`, and its place in the
    // loop: watched from the start for nginx leaving, taking over the listener's
    // registration without a system call (EventLoop::rebind), so that a kept
    // connection's requests cost no epoll_ctl (docs/ARCHITECTURE.md, "Output").
    Connection(loop::EventLoop& loop, int fd, std::uint16_t request_id, Millis send_timeout);
    // Unwatches and closes the fd unless it was handed on (release_fd).
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    int fd() const { return fd_; }
    ConnState state() const { return state_; }
    // For log lines: what this connection answers ("GET /reports/x").
    void set_label(std::string label) { label_ = std::move(label); }

    // Frames `data` as STDOUT records and queues them; send() writes what the
    // socket takes now, the rest goes on POLLOUT. Any size: records split at
    // 65,535 bytes.
    void append(std::string_view data);
    void send();
    // False once nginx is gone, a write failed, or the peer was dropped for
    // send_timeout: further output is discarded.
    bool ok() const { return ok_; }
    std::size_t queued() const { return queued_; }
    bool congested() const { return queued_ > kHighWater; }
    // One shot: `cb` runs once the queue is down to kLowWater (never when the
    // connection fails, nor after the answer ended). Replaces an earlier one.
    void on_drained(Callback cb);

    // While Serving: `on_gone` runs (once) when nginx closes the connection, a
    // write fails or the peer is dropped for send_timeout.
    void watch_hangup(Callback on_gone);
    void unwatch_hangup();

    // Queues the end of the answer (empty STDOUT, END_REQUEST) and goes Ending:
    // `done(true)` runs once everything is written and, with `discard_body`, the
    // request's remaining STDIN records are read up to and including the empty
    // one (exactly: the bytes after it are nginx's next request); `done(false)`
    // when the peer failed or was dropped. `done` may run before end() returns.
    void end(std::uint32_t app_status, bool discard_body, std::function<void(bool ok)> done);

    // Gives up the fd (still open, and still watched when it was: the new owner
    // rebinds or unwatches it) and goes Done.
    int release_fd();

  private:
    void on_io(short revents);
    // Returns false when a callback ran or the connection failed: the caller
    // must return without touching anything else.
    bool flush();
    bool discard();
    short interest() const;
    void update_interest();
    void arm_timer();
    void on_timer();
    void fail(const std::string& why, bool log_it);
    void check_done();

    loop::EventLoop& loop_;
    int fd_;
    std::uint16_t request_id_;
    Millis send_timeout_;
    std::string label_;
    ConnState state_ = ConnState::Serving;
    bool ok_ = true;

    // Output: framed records; the front one is sent from front_sent_ on.
    std::deque<std::string> out_;
    std::size_t front_sent_ = 0;
    std::size_t queued_ = 0;
    TimePoint last_progress_{};  // last byte written (or discarded) while waiting
    loop::TimerId timer_ = 0;

    Callback on_gone_;
    Callback on_drained_;
    std::function<void(bool)> done_;
    short events_ = 0;  // what the loop watches for; 0 = not watched
    // Input this connection does not read: bytes nginx sent that are not ours to
    // take (a late STDIN record, an unread body), so POLLIN would only repeat; and
    // nginx's close while nobody watched for it, told to the next watch_hangup.
    bool stray_input_ = false;
    bool hung_up_ = false;

    // Discarding the body: the current record's header, then what is left of
    // its content and padding.
    bool discarding_ = false;
    unsigned char header_[8] = {};
    std::size_t header_have_ = 0;
    std::size_t skip_ = 0;
    bool last_record_ = false;  // the current record is the empty STDIN one
};

}  // namespace asyncpage::fcgi
