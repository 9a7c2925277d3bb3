// The event loop: timer order and cancellation, the deferred phase, fds
// unwatched or re-watched by handlers in the middle of a pass, and the hazards of
// a kernel-side (epoll) set: fd numbers closed and reused within a pass, fds
// closed without unwatch, and the poll()-style event bits handlers see.
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.hpp"

using asyncpage::Millis;
using asyncpage::loop::EventLoop;

namespace {
struct Pipe {
    int fds[2];
    Pipe() { BOOST_REQUIRE(::pipe(fds) == 0); }
    ~Pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    void poke() const { BOOST_REQUIRE(::write(fds[1], "x", 1) == 1); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(event_loop)

BOOST_AUTO_TEST_CASE(timers_fire_in_deadline_order_and_cancel) {
    EventLoop loop;
    std::string order;
    auto now = loop.now();
    loop.add_timer(now + Millis(30), [&] { order += "c"; });
    loop.add_timer(now + Millis(10), [&] { order += "a"; });
    auto cancelled = loop.add_timer(now + Millis(20), [&] { order += "X"; });
    loop.add_timer(now + Millis(20), [&] { order += "b"; });
    loop.cancel_timer(cancelled);
    loop.add_timer(now + Millis(40), [&] { loop.stop(); });
    loop.run();
    BOOST_TEST(order == "abc");
    BOOST_TEST(asyncpage::ms_between(now, loop.now()) >= 40.0);
}

BOOST_AUTO_TEST_CASE(deferred_runs_after_io_in_the_same_pass) {
    EventLoop loop;
    Pipe p;
    std::vector<std::string> log;
    loop.watch(p.fds[0], POLLIN, [&](short) {
        char c;
        BOOST_REQUIRE(::read(p.fds[0], &c, 1) == 1);
        log.push_back("io");
        loop.defer([&] { log.push_back("deferred"); });
        log.push_back("io-end");
    });
    p.poke();
    loop.run_once(1000);
    BOOST_TEST(log == (std::vector<std::string>{"io", "io-end", "deferred"}));
}

namespace {
// Logs its own destruction, and closes a child when it has one.
struct Closable {
    Closable(std::vector<std::string>& log, std::string name, EventLoop& loop)
        : log(log), name(std::move(name)), loop(&loop) {}
    std::vector<std::string>& log;
    std::string name;
    EventLoop* loop;
    std::unique_ptr<Closable> child;
    ~Closable() {
        log.push_back("freed " + name);
        if (child) loop->close_later(std::move(child));
    }
};
}  // namespace

BOOST_AUTO_TEST_CASE(closed_objects_live_until_the_closing_phase) {
    EventLoop loop;
    Pipe p;
    std::vector<std::string> log;
    auto owned = std::make_unique<Closable>(log, "page", loop);
    owned->child = std::make_unique<Closable>(log, "task", loop);
    loop.watch(p.fds[0], POLLIN, [&](short) {
        char c;
        BOOST_REQUIRE(::read(p.fds[0], &c, 1) == 1);
        Closable* self = owned.get();
        loop.close_later(std::move(owned));
        log.push_back("closed " + self->name);  // still alive inside its callback
        loop.defer([&] { log.push_back("deferred"); });
    });
    p.poke();
    loop.run_once(1000);
    BOOST_TEST(log ==
               (std::vector<std::string>{"closed page", "deferred", "freed page", "freed task"}));
    BOOST_TEST(loop.closing() == 0u);
}

BOOST_AUTO_TEST_CASE(handler_may_unwatch_another_ready_fd) {
    EventLoop loop;
    Pipe a, b;
    int a_calls = 0, b_calls = 0;
    // Whichever runs first unwatches the other: exactly one handler runs.
    loop.watch(a.fds[0], POLLIN, [&](short) {
        ++a_calls;
        loop.unwatch(b.fds[0]);
    });
    loop.watch(b.fds[0], POLLIN, [&](short) {
        ++b_calls;
        loop.unwatch(a.fds[0]);
    });
    a.poke();
    b.poke();
    loop.run_once(1000);
    BOOST_TEST(a_calls + b_calls == 1);
    BOOST_TEST(loop.watched() == 1u);
}

BOOST_AUTO_TEST_CASE(handler_may_unwatch_itself_and_rewatch_later) {
    EventLoop loop;
    Pipe p;
    int calls = 0;
    loop.watch(p.fds[0], POLLIN, [&](short) {
        ++calls;
        loop.unwatch(p.fds[0]);  // data stays unread: must not fire again
    });
    p.poke();
    loop.run_once(1000);
    loop.run_once(20);
    BOOST_TEST(calls == 1);
    BOOST_TEST(!loop.watching(p.fds[0]));
    loop.watch(p.fds[0], POLLIN, [&](short) { calls += 10; });
    loop.run_once(1000);
    BOOST_TEST(calls == 11);
}

// A handler closes another ready fd and opens a new one that takes its number,
// in the same pass: the event epoll_wait returned for the closed fd belongs to
// its old owner and must not reach the new handler (the new pipe is empty).
BOOST_AUTO_TEST_CASE(reused_fd_number_gets_no_stale_event_of_the_same_pass) {
    EventLoop loop;
    int fds_a[2], fds_b[2];
    BOOST_REQUIRE(::pipe(fds_a) == 0);
    BOOST_REQUIRE(::pipe(fds_b) == 0);
    int first_calls = 0, stale_calls = 0;
    int fresh[2] = {-1, -1};
    // Whichever runs first closes the other's read end and reopens its number.
    auto make_handler = [&](int other_read) {
        return [&, other_read](short) {
            ++first_calls;
            if (fresh[0] >= 0) return;
            ::close(other_read);  // no unwatch: a closed fd leaves epoll's set by itself
            BOOST_REQUIRE(::pipe(fresh) == 0);
            BOOST_REQUIRE(fresh[0] == other_read);  // the lowest free number
            loop.watch(fresh[0], POLLIN, [&](short) { ++stale_calls; });
        };
    };
    loop.watch(fds_a[0], POLLIN, make_handler(fds_b[0]));
    loop.watch(fds_b[0], POLLIN, make_handler(fds_a[0]));
    BOOST_REQUIRE(::write(fds_a[1], "x", 1) == 1);
    BOOST_REQUIRE(::write(fds_b[1], "x", 1) == 1);
    loop.run_once(1000);
    BOOST_TEST(first_calls == 1);
    BOOST_TEST(stale_calls == 0);
    loop.run_once(20);  // the fresh pipe is still empty
    BOOST_TEST(stale_calls == 0);
    BOOST_REQUIRE(::write(fresh[1], "y", 1) == 1);
    loop.run_once(1000);
    BOOST_TEST(stale_calls == 1);
    BOOST_TEST(loop.watched() == 2u);
    for (int fd : {fds_a[0], fds_a[1], fds_b[0], fds_b[1], fresh[0], fresh[1]})
        ::close(fd);  // one of the first two is fresh[0]'s number: closing twice is harmless
}

// An fd closed while watched, its number reused by a new fd that is watched with
// watch(): the kernel forgot the old registration, so the loop must add the new
// one rather than modify a registration that is gone.
BOOST_AUTO_TEST_CASE(watch_after_close_without_unwatch_registers_the_new_fd) {
    EventLoop loop;
    int old_fds[2];
    BOOST_REQUIRE(::pipe(old_fds) == 0);
    int old_calls = 0, new_calls = 0;
    loop.watch(old_fds[0], POLLIN, [&](short) { ++old_calls; });
    ::close(old_fds[0]);
    Pipe p;  // takes old_fds[0]'s number
    BOOST_REQUIRE(p.fds[0] == old_fds[0]);
    loop.watch(p.fds[0], POLLIN, [&](short) { ++new_calls; });
    p.poke();
    loop.run_once(1000);
    BOOST_TEST(old_calls == 0);
    BOOST_TEST(new_calls == 1);
    BOOST_TEST(loop.watched() == 1u);
    ::close(old_fds[1]);
}

// Handlers see poll()'s bits: POLLHUP when the writer closed, POLLRDHUP when the
// peer shut down (asked for), POLLOUT when asked for and writable.
BOOST_AUTO_TEST_CASE(handlers_see_poll_bits) {
    EventLoop loop;
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    short pipe_rev = 0;
    loop.watch(fds[0], 0, [&](short rev) { pipe_rev = rev; });  // no interest: HUP still comes
    ::close(fds[1]);
    loop.run_once(1000);
    BOOST_TEST((pipe_rev & POLLHUP) != 0);
    BOOST_TEST((pipe_rev & POLLIN) == 0);
    loop.unwatch(fds[0]);
    ::close(fds[0]);

    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    short sock_rev = 0;
    int sock_calls = 0;
    loop.watch(sv[0], POLLRDHUP, [&](short rev) {
        sock_rev = rev;
        ++sock_calls;
    });
    loop.run_once(20);
    BOOST_TEST(sock_calls == 0);  // writable, but POLLOUT was not asked for
    BOOST_REQUIRE(::shutdown(sv[1], SHUT_WR) == 0);
    loop.run_once(1000);
    BOOST_TEST((sock_rev & POLLRDHUP) != 0);
    BOOST_TEST((sock_rev & POLLOUT) == 0);
    loop.set_events(sv[0], POLLOUT);
    loop.run_once(1000);
    BOOST_TEST((sock_rev & POLLOUT) != 0);
    loop.unwatch(sv[0]);
    ::close(sv[0]);
    ::close(sv[1]);
}

BOOST_AUTO_TEST_CASE(set_events_switches_interest) {
    EventLoop loop;
    Pipe p;
    int calls = 0;
    loop.watch(p.fds[0], 0, [&](short) { ++calls; });
    p.poke();
    loop.run_once(20);
    BOOST_TEST(calls == 0);
    loop.set_events(p.fds[0], POLLIN);
    loop.run_once(1000);
    BOOST_TEST(calls == 1);
}

// A kept FastCGI connection passes its fd between the listener and the request
// being answered: rebind gives the events to the new handler and tells the kernel
// only when the interest changes.
BOOST_AUTO_TEST_CASE(rebind_moves_the_handler_without_a_kernel_call) {
    EventLoop loop;
    Pipe p;
    int first = 0, second = 0;
    loop.rebind(p.fds[0], POLLIN, [&](short) { ++first; });  // unwatched: as watch
    BOOST_TEST(loop.watching(p.fds[0]));
    auto calls = loop.interest_calls();
    loop.rebind(p.fds[0], POLLIN, [&](short) { ++second; });
    BOOST_TEST(loop.interest_calls() == calls);
    BOOST_TEST(loop.watched() == 1u);
    p.poke();
    loop.run_once(1000);
    BOOST_TEST(first == 0);
    BOOST_TEST(second == 1);
    loop.rebind(p.fds[0], POLLIN | POLLRDHUP, [&](short) { ++first; });
    BOOST_TEST(loop.interest_calls() == calls + 1);
    loop.run_once(1000);
    BOOST_TEST(first == 1);
    // watch always tells the kernel (the number may be a new fd's).
    loop.watch(p.fds[0], POLLIN | POLLRDHUP, [&](short) {});
    BOOST_TEST(loop.interest_calls() == calls + 2);
    loop.unwatch(p.fds[0]);
}

// stop() from the last timer, due before the pass polls: run() returns at once
// instead of polling with no timer left to bound the wait. SIGALRM's default
// action ends the test binary should it hang.
BOOST_AUTO_TEST_CASE(stop_from_the_last_timer_returns) {
    EventLoop loop;
    loop.add_timer(loop.now() - Millis(1), [&] { loop.stop(); });
    ::alarm(5);
    loop.run();
    ::alarm(0);
    BOOST_TEST(loop.closing() == 0u);
}

BOOST_AUTO_TEST_CASE(many_cancelled_timers_do_not_fire) {
    EventLoop loop;
    int fired = 0;
    std::vector<asyncpage::loop::TimerId> ids;
    for (int i = 0; i < 5000; ++i)
        ids.push_back(loop.add_timer(Millis(1), [&] { ++fired; }));
    for (std::size_t i = 0; i < ids.size(); i += 2)
        loop.cancel_timer(ids[i]);
    loop.add_timer(Millis(5), [&] { loop.stop(); });
    loop.run();
    BOOST_TEST(fired == 2500);
}

BOOST_AUTO_TEST_SUITE_END()
