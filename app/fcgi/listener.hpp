#pragma once
// The FastCGI listen socket of a worker: accepts connections itself, holds each one
// until its BEGIN_REQUEST and PARAMS records have fully arrived (peeked, not read),
// and only then lets libfcgi read them, because FCGX_Accept_r reads with blocking
// reads and a peer that stalls mid-record would stall the whole worker (docs/ARCHITECTURE.md,
// "libfcgi").
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "fcgi/request.hpp"
#include "loop/event_loop.hpp"

namespace asyncpage::fcgi {

// Opens the listen socket: an absolute Unix socket path (mode 0660; a stale socket
// file is replaced, a live server's is an error) or "host:port" (IPv4 literal).
// Non-blocking, close-on-exec. Throws std::runtime_error with the reason.
int open_listen_socket(const std::string& listen);

class Listener {
  public:
    using OnRequest = std::function<void(std::unique_ptr<Request>)>;
    Listener(loop::EventLoop& loop, int listen_fd, std::size_t max_body, OnRequest on_request);
    ~Listener();

    // Stops accepting (drain): half-received requests and idle kept connections
    // are closed; requests still being answered close theirs when done.
    void stop();
    bool accepting() const { return !stopped_; }
    std::size_t handshaking() const { return handshakes_.size(); }
    std::uint64_t rejected_handshakes() const { return rejected_; }
    std::uint64_t connections_accepted() const { return accepted_; }

    // For Request::finish(). keep: nginx keeps the connection (fastcgi_keep_conn
    // on) and will send its next request on it. linger: the answer is written but
    // the request's body was not read; discard it until nginx closes.
    void keep(int fd);
    void linger(int fd);

  private:
    struct Handshake {
        int fd;
        loop::TimerId timer;
        bool idle;  // a kept connection with no byte of its next request yet
    };
    void on_acceptable();
    void start_handshake(int fd, bool idle);
    void arm(Handshake& h);
    void on_handshake_readable(int fd);
    void drop_handshake(int fd, const char* why);
    void hand_over(int fd, bool body_buffered);
    void pause_accepting(Millis how_long);
    void shed_idle();
    void end_linger(int fd);

    loop::EventLoop& loop_;
    int listen_fd_;
    std::size_t max_body_;
    OnRequest on_request_;
    std::unordered_map<int, Handshake> handshakes_;
    std::unordered_map<int, loop::TimerId> lingering_;  // fd -> give-up timer
    bool stopped_ = false;
    loop::TimerId resume_timer_ = 0;
    TimePoint last_pause_log_{};
    std::uint64_t rejected_ = 0;
    std::uint64_t accepted_ = 0;
    // What requests hold to reach the listener; expires with it.
    std::shared_ptr<Listener*> self_ = std::make_shared<Listener*>(this);
};

}  // namespace asyncpage::fcgi
