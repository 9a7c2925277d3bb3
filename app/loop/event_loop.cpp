// The epoll loop every worker runs. The kernel keeps the watched set, so a pass
// costs what its ready fds cost, not what all watched fds cost (poll() walked
// every fd on every pass: one worker's one-row page fell to a third of its rate
// while it held 5,000 idle long polls; README, Performance, S8). Level-triggered,
// like poll(): a handler that leaves data unread is called again next pass.
#include "loop/event_loop.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace asyncpage::loop {

namespace {

constexpr std::size_t kFirstBatch = 256;
constexpr std::size_t kMaxBatch = 4096;  // level-triggered: the rest come next pass

// poll()'s and epoll's bits have the same values on Linux; mapping them by name
// keeps that an assumption of this file only.
std::uint32_t to_epoll(short events) {
    std::uint32_t e = 0;
    if (events & POLLIN) e |= EPOLLIN;
    if (events & POLLPRI) e |= EPOLLPRI;
    if (events & POLLOUT) e |= EPOLLOUT;
    if (events & POLLRDHUP) e |= EPOLLRDHUP;
    return e;  // EPOLLERR and EPOLLHUP are always reported, as with poll()
}

short from_epoll(std::uint32_t e) {
    short r = 0;
    if (e & EPOLLIN) r |= POLLIN;
    if (e & EPOLLPRI) r |= POLLPRI;
    if (e & EPOLLOUT) r |= POLLOUT;
    if (e & EPOLLRDHUP) r |= POLLRDHUP;
    if (e & EPOLLERR) r |= POLLERR;
    if (e & EPOLLHUP) r |= POLLHUP;
    return r;
}

std::uint64_t token(int fd, std::uint32_t generation) {
    return (std::uint64_t(generation) << 32) | std::uint32_t(fd);
}

}  // namespace

EventLoop::EventLoop() : ready_(kFirstBatch), now_(Clock::now()) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventLoop::~EventLoop() {
    ::close(epoll_fd_);
}

int EventLoop::ctl(int op, int fd, epoll_event* ev) {
    ++interest_calls_;
    return ::epoll_ctl(epoll_fd_, op, fd, ev);
}

void EventLoop::watch(int fd, short events, IoHandler handler) {
    if (fd < 0) throw std::invalid_argument("event loop: watch of fd " + std::to_string(fd));
    if (std::size_t(fd) >= slots_.size()) slots_.resize(std::size_t(fd) + 1);
    Slot& s = slots_[std::size_t(fd)];
    bool was_live = s.live;
    epoll_event ev{};
    ev.events = to_epoll(events);
    ev.data.u64 = token(fd, s.generation + 1);
    // A live slot's registration may be gone (the fd was closed and its number
    // reused, as libpq does when PQconnectPoll opens a new socket): MOD then says
    // ENOENT and the fd is added. A dead slot's fd is normally unknown to the
    // kernel; EEXIST means its unwatch came after the fd was replaced.
    int rc = ctl(was_live ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    if (rc < 0 && was_live && errno == ENOENT) rc = ctl(EPOLL_CTL_ADD, fd, &ev);
    if (rc < 0 && !was_live && errno == EEXIST) rc = ctl(EPOLL_CTL_MOD, fd, &ev);
    if (rc < 0) {
        int err = errno;
        if (was_live) unwatch(fd);
        throw std::system_error(err, std::generic_category(),
                                "epoll_ctl of fd " + std::to_string(fd));
    }
    ++s.generation;  // events already returned for this number are now stale
    s.handler = std::make_shared<IoHandler>(std::move(handler));
    s.events = events;
    s.live = true;
    if (!was_live) ++watched_;
}

void EventLoop::set_events(int fd, short events) {
    if (fd < 0 || std::size_t(fd) >= slots_.size()) return;
    Slot& s = slots_[std::size_t(fd)];
    if (!s.live || s.events == events) return;
    s.events = events;
    epoll_event ev{};
    ev.events = to_epoll(events);
    ev.data.u64 = token(fd, s.generation);
    if (ctl(EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT) {
        // Closed and reopened under the same number by its owner: register it again.
        // (EBADF, closed and not reopened, leaves nothing to watch.)
        (void)ctl(EPOLL_CTL_ADD, fd, &ev);
    }
}

void EventLoop::rebind(int fd, short events, IoHandler handler) {
    if (!watching(fd)) {
        watch(fd, events, std::move(handler));
        return;
    }
    // The generation stays: the registration, and the token it carries, are the
    // same. The handler running now (if it is this fd's) keeps its own reference.
    slots_[std::size_t(fd)].handler = std::make_shared<IoHandler>(std::move(handler));
    set_events(fd, events);
}

void EventLoop::unwatch(int fd) {
    if (fd < 0 || std::size_t(fd) >= slots_.size()) return;
    Slot& s = slots_[std::size_t(fd)];
    if (!s.live) return;
    s.live = false;
    ++s.generation;
    // The handler may be the one running right now: dispatch holds its own reference.
    s.handler.reset();
    s.events = 0;
    --watched_;
    // Fails harmlessly (EBADF, ENOENT) when the fd was closed first: the kernel
    // dropped it from the set with its last descriptor.
    (void)ctl(EPOLL_CTL_DEL, fd, nullptr);
}

bool EventLoop::watching(int fd) const {
    return fd >= 0 && std::size_t(fd) < slots_.size() && slots_[std::size_t(fd)].live;
}

TimerId EventLoop::add_timer(TimePoint when, Callback cb) {
    TimerId id = next_timer_++;
    timers_.push(Timer{when, id});
    timer_callbacks_.emplace(id, std::move(cb));
    return id;
}

void EventLoop::cancel_timer(TimerId id) {
    // The heap entry stays and is skipped when it surfaces: cancelling is O(1).
    if (id != 0) timer_callbacks_.erase(id);
}

void EventLoop::defer(Callback cb) {
    deferred_.push_back(std::move(cb));
}

void EventLoop::run_timers() {
    while (!timers_.empty() && timers_.top().when <= now_) {
        Timer t = timers_.top();
        timers_.pop();
        auto it = timer_callbacks_.find(t.id);
        if (it == timer_callbacks_.end()) continue;
        Callback cb = std::move(it->second);
        timer_callbacks_.erase(it);
        cb();
    }
    // Cancelled timers far in the future would pile up in the heap; rebuild it when
    // most of it is dead.
    if (timers_.size() > 1024 && timers_.size() > 4 * timer_callbacks_.size()) {
        std::priority_queue<Timer, std::vector<Timer>, std::greater<>> live;
        while (!timers_.empty()) {
            if (timer_callbacks_.count(timers_.top().id)) live.push(timers_.top());
            timers_.pop();
        }
        timers_.swap(live);
    }
}

int EventLoop::wait_timeout_ms(int max_wait_ms) const {
    // stop() from a timer of this pass: look at the fds once and end the pass, even
    // when no timer is left to bound the wait (it would otherwise sleep forever).
    if (!deferred_.empty() || stopping_) return 0;
    int wait = max_wait_ms;
    // A cancelled timer at the top only causes one early, empty pass.
    if (!timers_.empty()) {
        auto until = std::chrono::ceil<Millis>(timers_.top().when - now_).count();
        if (until < 0) until = 0;
        if (wait < 0 || until < wait) wait = static_cast<int>(until);
    }
    return wait;
}

void EventLoop::dispatch(int ready) {
    for (int i = 0; i < ready; ++i) {
        std::uint64_t t = ready_[std::size_t(i)].data.u64;
        auto fd = std::size_t(std::uint32_t(t));
        auto generation = std::uint32_t(t >> 32);
        if (fd >= slots_.size()) continue;
        Slot& s = slots_[fd];
        // Unwatched, re-watched or closed-and-reused by a handler earlier in this
        // batch: the event belonged to the fd's previous owner.
        if (!s.live || s.generation != generation) continue;
        // A reference of our own: the handler may unwatch or replace itself, and
        // watching a new fd may move the slots.
        std::shared_ptr<IoHandler> h = s.handler;
        (*h)(from_epoll(ready_[std::size_t(i)].events));
    }
}

void EventLoop::run_once(int max_wait_ms) {
    update_now();
    run_timers();
    int n =
        ::epoll_wait(epoll_fd_, ready_.data(), int(ready_.size()), wait_timeout_ms(max_wait_ms));
    update_now();
    if (n < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    if (n > 0) {
        dispatch(n);
        if (std::size_t(n) == ready_.size() && ready_.size() < kMaxBatch)
            ready_.resize(ready_.size() * 2);
    }
    run_timers();
    while (!deferred_.empty()) {
        std::vector<Callback> batch;
        batch.swap(deferred_);
        for (auto& cb : batch)
            cb();
    }
    // Closing phase: a destructor may close more objects (a page its tasks).
    while (!closing_.empty()) {
        std::vector<std::shared_ptr<void>> batch;
        batch.swap(closing_);
    }
}

void EventLoop::run() {
    stopping_ = false;
    while (!stopping_)
        run_once(-1);
}

}  // namespace asyncpage::loop
