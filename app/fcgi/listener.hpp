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

#include "fcgi/connection.hpp"
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
    // send_timeout: a peer that takes no output for this long while some is queued
    // is dropped (fcgi::Connection).
    Listener(loop::EventLoop& loop, int listen_fd, std::size_t max_body, Millis send_timeout,
             OnRequest on_request);
    ~Listener();

    // Stops accepting (drain): half-received requests and idle kept connections
    // are closed; requests still being answered close theirs when done, and
    // answers still being sent (ending()) go on until sent or send_timeout.
    void stop();
    bool accepting() const { return !stopped_; }
    std::size_t handshaking() const { return handshakes_.size(); }
    std::uint64_t rejected_handshakes() const { return rejected_; }
    std::uint64_t connections_accepted() const { return accepted_; }
    // Answered requests whose output is still being sent.
    std::size_t ending() const { return ending_.size(); }

    // What happens to a connection once its answer is out (Request::finish).
    enum class After {
        Close,            // nginx did not ask to keep it
        Keep,             // fastcgi_keep_conn on: wait for nginx's next request on it
        DiscardThenKeep,  // kept, with an unread body: read its STDIN records up to
                          // and including the empty one first (exactly: the next
                          // request follows it)
        Linger,           // not kept (or the body's records cannot be found again),
                          // with an unread body: shut down writing and discard
                          // until nginx closes
    };
    // Takes an answered request's connection: sends what is still queued (with
    // send_timeout), then does `after`.
    void finish(std::unique_ptr<Connection> conn, After after);

  private:
    struct Handshake {
        int fd;
        loop::TimerId timer;
        bool idle;  // a kept connection with no byte of its next request yet
    };
    // What the peek saw of a complete request's head.
    struct Head {
        bool body_buffered = false;  // the whole body is in the socket too
        bool keep = false;           // BEGIN_REQUEST has FCGI_KEEP_CONN
        std::size_t head_len = 0;    // bytes up to and including the empty PARAMS record
        std::size_t body = 0;        // CONTENT_LENGTH
    };
    void on_acceptable();
    void start_handshake(int fd, bool idle);
    void arm(Handshake& h);
    void on_handshake_readable(int fd);
    void drop_handshake(int fd, const char* why);
    void hand_over(int fd, const Head& head);
    void keep(int fd);
    void linger(int fd);
    void end_connection(int fd, After after, bool ok);
    void pause_accepting(Millis how_long);
    void shed_idle();
    void end_linger(int fd);

    loop::EventLoop& loop_;
    int listen_fd_;
    std::size_t max_body_;
    Millis send_timeout_;
    OnRequest on_request_;
    std::unordered_map<int, std::unique_ptr<Connection>> ending_;  // fd -> answered, sending
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
