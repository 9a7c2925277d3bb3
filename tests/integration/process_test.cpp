// The supervisor: SIGTERM drains (a pending page still gets its answer, exit 0),
// and a worker killed with SIGKILL is replaced within about a second while the
// other worker and the pages carry on.
#include <signal.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(sigterm_drains_pending_pages_and_exits_0) {
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    Pg pg;
    auto page = request_async(s.request("/reports/drain1?format=json", 10000));
    bool running = wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%drain_slow%") >= 1; }, 2s,
        10ms);
    BOOST_TEST_REQUIRE(running, "the 1 s page never started");
    s.server().signal(SIGTERM);
    Response r = page.get();
    BOOST_TEST_MESSAGE("page pending at SIGTERM: " << r.summary());
    BOOST_TEST(r.status == 200, r.summary() << ": " << r.body);
    if (r.status == 200) BOOST_TEST(parse_json(r)["status"] == "ok");
    BOOST_TEST(r.seconds < 2.5);
    auto status = s.server().wait_exit(10s);
    BOOST_TEST_REQUIRE(status.has_value(), "server still running 10 s after SIGTERM");
    BOOST_TEST(*status == 0, "exit status " << *status);
}

BOOST_AUTO_TEST_CASE(killed_worker_is_replaced) {
    ServerOptions o;
    o.workers = 2;
    Stack s(o);
    std::vector<pid_t> before = s.server().wait_workers(2);
    BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);
    pid_t victim = before[0], survivor = before[1];
    BOOST_TEST_REQUIRE(::kill(victim, SIGKILL) == 0);
    auto killed_at = Clock::now();
    std::vector<pid_t> now;
    bool replaced = wait_until(
        [&] {
            now = s.server().worker_pids();
            return now.size() == 2 && std::find(now.begin(), now.end(), victim) == now.end();
        },
        1500ms, 10ms);
    BOOST_TEST_MESSAGE("worker " << victim << " replaced after " << seconds_since(killed_at)
                                 << " s");
    BOOST_TEST(replaced, "no replacement worker 1.5 s after SIGKILL");
    BOOST_TEST((std::find(now.begin(), now.end(), survivor) != now.end()),
               "the other worker changed too");
    BOOST_TEST(s.server().running());
    for (int i = 0; i < 10; ++i) {
        Response r = s.get("/reports/trivial?format=json");
        BOOST_TEST(r.status == 200, "page " << i << ": " << r.summary());
    }
    auto status = s.server().stop();
    BOOST_TEST((status && *status == 0), "exit status after SIGTERM: " << status.value_or(-1));
}

BOOST_AUTO_TEST_SUITE_END()
