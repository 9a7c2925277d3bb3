// Time behaviour of pages: parallel against sequential sections, the page
// deadline (partial page, 504, the cancelled backend really stops), and a client
// that leaves (its query is cancelled). Designed times with generous margins.
#include <boost/test/unit_test.hpp>
#include <thread>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(timing)

BOOST_AUTO_TEST_CASE(parallel_sections_run_at_once) {
    Stack& s = integration_stack();
    Response r = s.get("/reports/parallel3?format=json");
    BOOST_TEST_MESSAGE("3 x 0.5 s in parallel: " << r.summary());
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    auto j = parse_json(r);
    BOOST_TEST(j["status"] == "ok");
    BOOST_TEST(r.seconds >= 0.5);
    BOOST_TEST(r.seconds < 1.2);
    for (const char* name : {"a", "b", "c"})
        BOOST_TEST(section(j, name)["status"] == "ok");
}

BOOST_AUTO_TEST_CASE(sequential_sections_run_in_order) {
    Stack& s = integration_stack();
    Response r = s.get("/reports/sequential3?format=json");
    BOOST_TEST_MESSAGE("3 x 0.5 s in sequence: " << r.summary());
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    auto j = parse_json(r);
    BOOST_TEST(j["status"] == "ok");
    BOOST_TEST(r.seconds >= 1.5);
    BOOST_TEST(r.seconds < 3.0);
    BOOST_TEST_REQUIRE(j["sections"].size() == 3u);
    BOOST_TEST(j["sections"][0]["name"] == "a");
    BOOST_TEST(j["sections"][2]["name"] == "c");
}

BOOST_AUTO_TEST_CASE(deadline_renders_partial_and_cancels) {
    Stack& s = integration_stack();
    Pg pg;
    Metrics m0 = s.metrics();

    auto page = request_async(s.request("/reports/deadline_partial?format=json", 10000));
    bool started = wait_until(
        [&] {
            return pg.count_active(s.server().application_name(), "%deadline_partial_slow%") >= 1;
        },
        900ms);
    Response r = page.get();
    auto answered = Clock::now();
    BOOST_TEST(started, "the slow section never showed up as active in pg_stat_activity");
    BOOST_TEST_MESSAGE("1 s deadline, one fast + one 10 s section: " << r.summary());
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    BOOST_TEST(r.seconds >= 0.9);
    BOOST_TEST(r.seconds < 1.5);
    auto j = parse_json(r);
    BOOST_TEST(j["status"] == "partial");
    BOOST_TEST(section(j, "fast")["status"] == "ok");
    BOOST_TEST(section(j, "fast")["rows"] == nlohmann::json::parse("[[1]]"));
    BOOST_TEST(section(j, "slow")["status"] == "timeout");

    bool gone = wait_until(
        [&] {
            return pg.count_active(s.server().application_name(), "%deadline_partial_slow%") == 0;
        },
        1s, 10ms);
    BOOST_TEST_MESSAGE("slow backend stopped " << seconds_since(answered) << " s after the answer");
    BOOST_TEST(gone, "pg_sleep(10) still active 1 s after the partial page");

    // Nothing finished by the deadline: 504.
    Response all = s.get("/reports/deadline_all?format=json", {}, 10000);
    auto answered_all = Clock::now();
    BOOST_TEST_MESSAGE("1 s deadline, only a 10 s section: " << all.summary());
    BOOST_TEST(all.status == 504, all.summary() << ": " << all.body);
    BOOST_TEST(all.seconds >= 0.9);
    BOOST_TEST(all.seconds < 1.5);
    BOOST_TEST(wait_until(
                   [&] {
                       return pg.count_active(s.server().application_name(),
                                              "%deadline_all_slow%") == 0;
                   },
                   1s, 10ms),
               "the 504 page's query still active 1 s after the answer");
    BOOST_TEST_MESSAGE("504 page's backend stopped " << seconds_since(answered_all)
                                                     << " s after the answer");

    Metrics m1 = s.metrics();
    double timeouts = m1.value("asyncpage_timeouts_total") - m0.value("asyncpage_timeouts_total");
    double cancels = m1.value("asyncpage_cancels_total") - m0.value("asyncpage_cancels_total");
    BOOST_TEST_MESSAGE("timeouts +" << timeouts << ", cancels +" << cancels);
    BOOST_TEST(timeouts >= 2);
    BOOST_TEST(cancels >= 2);
    auto pages = [](const Metrics& m, const char* status) {
        return m.find("asyncpage_pages_total", {{"status", status}}).value_or(0);
    };
    BOOST_TEST(pages(m1, "partial") - pages(m0, "partial") >= 1);
    BOOST_TEST(pages(m1, "timeout") - pages(m0, "timeout") >= 1);
}

BOOST_AUTO_TEST_CASE(client_abort_cancels_the_query) {
    Stack& s = integration_stack();
    Pg pg;
    Metrics m0 = s.metrics();
    // The client gives up after 300 ms on a page whose query sleeps 5 s.
    auto page = request_async(s.request("/reports/abort_slow?format=json", 300));
    bool started = wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%abort_slow%") >= 1; }, 1s,
        10ms);
    Response r = page.get();
    auto left = Clock::now();
    BOOST_TEST_REQUIRE(started, "the 5 s query never showed up in pg_stat_activity");
    BOOST_TEST(r.status == 0, "expected the client to abort, got " << r.summary());
    BOOST_TEST(r.curl_code == 28);

    bool gone = wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%abort_slow%") == 0; }, 1500ms,
        10ms);
    double after = seconds_since(left);
    BOOST_TEST_MESSAGE("query cancelled " << after << " s after the client left");
    BOOST_TEST(gone, "query still active 1.5 s after the client left");

    bool counted = wait_until(
        [&] {
            return s.metrics().value("asyncpage_client_aborts_total") -
                       m0.value("asyncpage_client_aborts_total") >=
                   1;
        },
        1s);
    BOOST_TEST(counted, "asyncpage_client_aborts_total did not grow");
}

BOOST_AUTO_TEST_SUITE_END()
