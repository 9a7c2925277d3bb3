#pragma once
// The FastCGI listen socket of a worker: accepts connections itself, holds each one
// until its BEGIN_REQUEST and PARAMS records have fully arrived (peeked, not read),
// and only then lets libfcgi read them, because FCGX_Accept_r reads with blocking
// reads and a peer that stalls mid-record would stall the whole worker (FACTS.md).
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

    void stop();  // stop accepting (drain); half-received requests are closed
    std::size_t handshaking() const { return handshakes_.size(); }
    std::uint64_t rejected_handshakes() const { return rejected_; }

  private:
    struct Handshake {
        int fd;
        loop::TimerId timer;
    };
    void on_acceptable();
    void on_handshake_readable(int fd);
    void drop_handshake(int fd, const char* why);
    void hand_over(int fd, bool body_buffered);
    void pause_accepting(Millis how_long);
    void linger(int fd);
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
};

}  // namespace asyncpage::fcgi
