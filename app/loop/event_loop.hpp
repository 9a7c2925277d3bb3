#pragma once
// One thread's event loop: a poll() set of fds with handlers, a timer heap keyed by
// one cached monotonic "now" per pass, and a deferred queue run after the I/O phase
// so that objects are never freed inside their own callbacks (libuv's closing phase).
#include <poll.h>

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
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches fd for `events` (POLLIN, POLLOUT, POLLRDHUP...). One handler per fd:
    // watching a watched fd replaces its handler. The handler may (un)watch any fd.
    void watch(int fd, short events, IoHandler handler);
    void set_events(int fd, short events);
    // Forgets fd; its pending revents of this pass are dropped. Never closes it.
    void unwatch(int fd);
    bool watching(int fd) const;

    TimerId add_timer(TimePoint when, Callback cb);
    TimerId add_timer(Millis after, Callback cb) { return add_timer(now_ + after, std::move(cb)); }
    void cancel_timer(TimerId id);  // no-op for 0 and for fired timers

    // Runs cb after the current I/O and timer phases, before the next poll().
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

    // Runs passes until stop(): timers due → poll → I/O handlers → timers due →
    // deferred → closing (close_later).
    void run();
    void stop() { stopping_ = true; }
    // One pass with a cap on how long poll may wait (tests use it).
    void run_once(int max_wait_ms);

    TimePoint now() const { return now_; }
    void update_now() { now_ = Clock::now(); }
    std::size_t watched() const { return fds_.size() - free_slots_; }

  private:
    struct Slot {
        IoHandler handler;
        bool live = false;
        int fd = -1;  // kept while dead (pollfd.fd is then -1) to drop its index entry
    };
    struct Timer {
        TimePoint when;
        TimerId id;
        bool operator>(const Timer& o) const {
            return when > o.when || (when == o.when && id > o.id);
        }
    };
    void run_timers();
    int poll_timeout_ms(int max_wait_ms) const;
    void compact();

    std::vector<pollfd> fds_;
    std::vector<Slot> slots_;
    std::unordered_map<int, std::size_t> index_;  // fd -> slot
    std::size_t free_slots_ = 0;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::unordered_map<TimerId, Callback> timer_callbacks_;
    TimerId next_timer_ = 1;
    std::vector<Callback> deferred_;
    std::vector<std::shared_ptr<void>> closing_;  // freed at the end of the pass
    TimePoint now_;
    bool stopping_ = false;
};

}  // namespace asyncpage::loop
