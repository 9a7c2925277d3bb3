// The event loop: timer order and cancellation, the deferred phase, and fds
// unwatched or re-watched by handlers in the middle of a pass.
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
