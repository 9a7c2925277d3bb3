#pragma once
// One thread's event loop: a set of fds with handlers kept in the kernel (epoll,
// level-triggered), a timer heap keyed by one cached monotonic "now" per pass, and a
// deferred queue run after the I/O phase so that objects are never freed inside
// their own callbacks (libuv's closing phase). Interest is given and reported in
// poll()'s terms (POLLIN, POLLOUT, POLLRDHUP; POLLERR and POLLHUP always).
#include <poll.h>
#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"

namespace asyncpage::loop {

using TimerId = std::uint64_t;

class EventLoop {
  public:
    using IoHandler = std::function<void(short revents)>;
    using Callback = std::function<void()>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches fd for `events` (POLLIN, POLLOUT, POLLRDHUP...). One handler per fd:
    // watching a watched fd replaces its handler, and drops events of this pass
    // that were meant for the old one; it always tells the kernel, so an fd number
    // that was closed and reopened since is registered afresh. The handler may
    // (un)watch any fd. Throws std::system_error for an fd the kernel refuses
    // (closed, or a regular file).
    void watch(int fd, short events, IoHandler handler);
    // Changes a watched fd's interest; a system call only when it differs.
    void set_events(int fd, short events);
    // Hands a watched fd to a new handler without telling the kernel unless the
    // interest differs (then as set_events): for owners that pass one fd from one
    // to the next (fcgi's listener and connections, a kept FastCGI connection's
    // every request). Unlike watch, events of this pass already returned for fd go
    // to the new handler, which must take a wake-up with nothing to do. An
    // unwatched fd is watched.
    void rebind(int fd, short events, IoHandler handler);
    // Forgets fd; its pending events of this pass are dropped. Never closes it.
    // Call it before closing the fd: an fd closed while watched leaves the kernel's
    // set by itself, but its handler stays here until the number is watched again.
    void unwatch(int fd);
    bool watching(int fd) const;

    TimerId add_timer(TimePoint when, Callback cb);
    TimerId add_timer(Millis after, Callback cb) { return add_timer(now_ + after, std::move(cb)); }
    void cancel_timer(TimerId id);  // no-op for 0 and for fired timers

    // Runs cb after the current I/O and timer phases, before the next wait.
    void defer(Callback cb);

    // The one way to end an object whose callback may be on the stack (a page, a
    // task, a watcher, a job run, a connection): it is taken from its owner now and
    // freed in the closing phase of this pass, after the deferred callbacks, as
    // libuv's uv_close does. Its destructor must not call back into the code that
    // closed it; it may close further objects, which are freed in the same phase.
    template <class T>
    void close_later(std::unique_ptr<T> object) {
        if (object) closing_.emplace_back(std::move(object));
    }
    std::size_t closing() const { return closing_.size(); }

    // Runs passes until stop(): timers due → wait for events → I/O handlers → timers due →
    // deferred → closing (close_later).
    void run();
    void stop() { stopping_ = true; }
    // One pass with a cap on how long the wait for events may be (tests use it).
    void run_once(int max_wait_ms);

    TimePoint now() const { return now_; }
    void update_now() { now_ = Clock::now(); }
    std::size_t watched() const { return watched_; }
    // epoll_ctl calls so far: what changes of interest cost (tests, measurements).
    std::uint64_t interest_calls() const { return interest_calls_; }

  private:
    // One per fd number. `generation` changes with every watch and unwatch of the
    // number and travels with its kernel registration, so an event that epoll_wait
    // returned for an earlier owner of the number (unwatched, or closed and reused,
    // by a handler earlier in the same pass) is recognised and dropped.
    struct Slot {
        std::shared_ptr<IoHandler> handler;  // shared: kept alive while it runs
        std::uint32_t generation = 0;
        short events = 0;
        bool live = false;
    };
    struct Timer {
        TimePoint when;
        TimerId id;
        bool operator>(const Timer& o) const {
            return when > o.when || (when == o.when && id > o.id);
        }
    };
    void run_timers();
    int wait_timeout_ms(int max_wait_ms) const;
    void dispatch(int ready);

    int ctl(int op, int fd, epoll_event* ev);

    int epoll_fd_ = -1;
    std::uint64_t interest_calls_ = 0;
    std::vector<Slot> slots_;  // by fd number
    std::size_t watched_ = 0;
    std::vector<epoll_event> ready_;  // epoll_wait's batch; grows when it comes back full
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::unordered_map<TimerId, Callback> timer_callbacks_;
    TimerId next_timer_ = 1;
    std::vector<Callback> deferred_;
    std::vector<std::shared_ptr<void>> closing_;  // freed at the end of the pass
    TimePoint now_;
    bool stopping_ = false;
};

}  // namespace asyncpage::loop
