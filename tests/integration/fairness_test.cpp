// The proof that no report starves the others: with workers = 1,
// pool_size = 16 and report_share = 0.5, while 200 concurrent requests hold a
// 1 s report, a trivial report still answers in milliseconds.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(fairness)

BOOST_AUTO_TEST_CASE(trivial_report_stays_fast_while_a_slow_one_is_hammered) {
    ServerOptions o;
    o.workers = 1;
    o.pool_size = 16;
    o.config["report_share"] = "0.5";
    Stack s(o);
    Pg pg;
    BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);
    Metrics m0 = s.metrics();

    // hold1: pg_sleep(1), timeout 4s. 200 at once: 8 may hold connections (half of
    // 16), the rest queue within their deadline.
    std::vector<Request> reqs(200, s.request("/reports/hold1?format=json", 30000));
    auto hammer = run_concurrent_async(reqs);

    double pending_before = 0;
    bool held = wait_until(
        [&] {
            pending_before = s.metrics().value("asyncpage_pending_pages");
            return pending_before >= 190;
        },
        3s, 50ms);
    BOOST_TEST_REQUIRE(held, "only " << pending_before << " pages pending after 3 s");

    std::vector<double> times;
    int max_slow_backends = 0;
    for (int i = 0; i < 10; ++i) {
        Response r = s.get("/reports/trivial?format=json", {}, 10000);
        times.push_back(r.seconds);
        BOOST_TEST(r.status == 200, "trivial page " << i << ": " << r.summary());
        BOOST_TEST(r.seconds < 0.3, "trivial page " << i << " took " << r.seconds << " s");
        max_slow_backends = std::max(
            max_slow_backends, pg.count_active(s.server().application_name(), "%fairness_hold%"));
    }
    double pending_after = s.metrics().value("asyncpage_pending_pages");
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST_MESSAGE("fairness: pending pages "
                       << pending_before << " before, " << pending_after
                       << " after the trivial ones; "
                       << "trivial page min " << sorted.front() * 1000 << " ms, median "
                       << sorted[5] * 1000 << " ms, max " << sorted.back() * 1000
                       << " ms; hold1 backends at most " << max_slow_backends);
    // The slow pages were still pending throughout (so the trivial ones really competed).
    BOOST_TEST(pending_after >= 100);
    // report_share 0.5 of 16: the hammered report never holds more than 8 connections.
    BOOST_TEST(max_slow_backends <= 8);
    BOOST_TEST(max_slow_backends >= 1);

    // A hammered page either ran (200) or ran out of its 4 s budget, queued behind
    // the others or with its query cut (504, "timeout"). PostgreSQL is up all along,
    // so none is "unavailable" (503 is for a database that cannot be reached).
    std::vector<Response> rs = hammer.get();
    Metrics m1 = s.metrics();
    int ok = 0, unavailable = 0, timeout = 0, other = 0;
    for (const Response& r : rs) {
        BOOST_TEST(r.seconds < 5.5, "a 4 s page answered after " << r.seconds << " s");
        if (r.status == 200) {
            ++ok;
            BOOST_TEST(parse_json(r)["status"] == "ok", r.body);
        } else if (r.status == 503) {
            ++unavailable;
        } else if (r.status == 504) {
            ++timeout;
            BOOST_TEST(parse_json(r)["status"] == "timeout", r.body);
        } else {
            ++other;
        }
    }
    BOOST_TEST_MESSAGE("hammered report: " << ok << " x 200, " << unavailable << " x 503, "
                                           << timeout << " x 504, " << other << " other");
    // 8 connections for 4 s of 1 s queries: at least two full rounds even when slow.
    BOOST_TEST(ok >= 16);
    BOOST_TEST(other == 0);
    BOOST_TEST(unavailable == 0, "a queued page behind a reachable database answered 503");
    auto delta = [&](const char* status) {
        return m1.value("asyncpage_pages_total", {{"status", status}}) -
               m0.value("asyncpage_pages_total", {{"status", status}});
    };
    // + the 10 trivial pages, all ok.
    BOOST_TEST(delta("ok") == ok + 10);
    BOOST_TEST(delta("unavailable") == unavailable);
    BOOST_TEST(delta("timeout") == timeout);
}

BOOST_AUTO_TEST_SUITE_END()
