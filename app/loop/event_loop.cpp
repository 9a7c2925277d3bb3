// The poll() loop every worker runs. Slots removed during a pass are only marked
// dead and compacted after the I/O phase, so handlers may unwatch any fd (their
// own included) without invalidating the iteration.
#include "loop/event_loop.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace asyncpage::loop {

EventLoop::EventLoop() : now_(Clock::now()) {}

void EventLoop::watch(int fd, short events, IoHandler handler) {
    auto it = index_.find(fd);
    if (it != index_.end()) {
        std::size_t i = it->second;
        if (!slots_[i].live) --free_slots_;
        slots_[i].handler = std::move(handler);
        slots_[i].live = true;
        fds_[i].events = events;
        fds_[i].revents = 0;  // revents of a previous owner of this fd number are stale
        fds_[i].fd = fd;
        return;
    }
    index_.emplace(fd, fds_.size());
    fds_.push_back(pollfd{fd, events, 0});
    slots_.push_back(Slot{std::move(handler), true, fd});
}

void EventLoop::set_events(int fd, short events) {
    auto it = index_.find(fd);
    if (it != index_.end() && slots_[it->second].live) fds_[it->second].events = events;
}

void EventLoop::unwatch(int fd) {
    auto it = index_.find(fd);
    if (it == index_.end() || !slots_[it->second].live) return;
    std::size_t i = it->second;
    slots_[i].live = false;
    // The handler may be the one running right now: keep it alive until compact().
    fds_[i].fd = -1;  // poll() ignores negative fds
    fds_[i].revents = 0;
    ++free_slots_;
}

bool EventLoop::watching(int fd) const {
    auto it = index_.find(fd);
    return it != index_.end() && slots_[it->second].live;
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

int EventLoop::poll_timeout_ms(int max_wait_ms) const {
    // stop() from a timer of this pass: look at the fds once and end the pass, even
    // when no timer is left to bound the wait (poll would otherwise sleep forever).
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

void EventLoop::compact() {
    if (free_slots_ == 0) return;
    // Only dead and moved slots touch the index: every finished page unwatches
    // its fd, so rebuilding the whole map here would cost O(watched) hash inserts.
    std::size_t out = 0;
    for (std::size_t i = 0; i < fds_.size(); ++i) {
        if (!slots_[i].live) {
            index_.erase(slots_[i].fd);
            continue;
        }
        if (out != i) {
            fds_[out] = fds_[i];
            slots_[out] = std::move(slots_[i]);
            index_[fds_[out].fd] = out;
        }
        ++out;
    }
    fds_.resize(out);
    slots_.resize(out);
    free_slots_ = 0;
}

void EventLoop::run_once(int max_wait_ms) {
    update_now();
    run_timers();
    int n = ::poll(fds_.data(), fds_.size(), poll_timeout_ms(max_wait_ms));
    update_now();
    if (n < 0 && errno != EINTR) {
        throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
    }
    if (n > 0) {
        // Handlers may append slots; only the ones polled this pass are visited.
        std::size_t count = fds_.size();
        for (std::size_t i = 0; i < count && n > 0; ++i) {
            short rev = fds_[i].revents;
            if (rev == 0) continue;
            --n;
            fds_[i].revents = 0;
            if (!slots_[i].live) continue;
            // Copy: the handler may replace itself via watch() on the same fd.
            IoHandler h = slots_[i].handler;
            h(rev);
        }
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
    compact();
}

void EventLoop::run() {
    stopping_ = false;
    while (!stopping_)
        run_once(-1);
}

}  // namespace asyncpage::loop
