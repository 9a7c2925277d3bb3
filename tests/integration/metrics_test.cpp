// /metrics and /healthz: every gauge and counter of the contract is exported in
// Prometheus text format, and the page-latency histogram counts pages.
#include <boost/test/unit_test.hpp>

#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(healthz_is_ok) {
    Stack& s = integration_stack();
    Response r = s.get("/healthz");
    BOOST_TEST(r.status == 200, r.summary());
    BOOST_TEST(contains(r.header("content-type"), "text/plain"), r.header("content-type"));
    BOOST_TEST(contains(r.body, "ok"));
}

BOOST_AUTO_TEST_CASE(metrics_are_complete_and_count_pages) {
    Stack& s = integration_stack();
    BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);
    Response raw = s.get("/metrics");
    BOOST_TEST_REQUIRE(raw.status == 200);
    BOOST_TEST(contains(raw.header("content-type"), "text/plain"), raw.header("content-type"));
    Metrics m0 = Metrics::parse(raw.body);

    for (const char* name :
         {"asyncpage_pending_pages", "asyncpage_queries_in_flight", "asyncpage_timeouts_total",
          "asyncpage_cancels_total", "asyncpage_client_aborts_total", "asyncpage_rejected_total",
          "asyncpage_page_duration_seconds_sum", "asyncpage_page_duration_seconds_count"}) {
        BOOST_TEST(m0.has(name), "missing " << name);
    }
    for (const char* state : {"idle", "busy", "connecting", "cancelling"}) {
        BOOST_TEST(m0.find("asyncpage_pool_connections", {{"state", state}}).has_value(),
                   "missing asyncpage_pool_connections{state=\"" << state << "\"}");
    }
    BOOST_TEST(m0.has("asyncpage_pages_total"));
    BOOST_TEST(m0.type("asyncpage_page_duration_seconds") == "histogram");
    BOOST_TEST(m0.find("asyncpage_page_duration_seconds_bucket", {{"le", "+Inf"}}).has_value());

    double pending = m0.value("asyncpage_pending_pages");
    BOOST_TEST(pending >= 0);
    BOOST_TEST(pending <= 1);  // nothing else runs; at most this request itself
    double pool = 0;
    for (const char* state : {"idle", "busy", "connecting", "cancelling"}) {
        pool += m0.find("asyncpage_pool_connections", {{"state", state}}).value_or(0);
    }
    BOOST_TEST(pool <= 16);
    BOOST_TEST(m0.value("asyncpage_pool_connections", {{"state", "idle"}}) >= 1,
               "no idle pooled connection kept after a page");

    for (int i = 0; i < 3; ++i)
        BOOST_TEST(s.get("/reports/trivial?format=json").status == 200);
    Metrics m1 = s.metrics();
    double count0 = m0.value("asyncpage_page_duration_seconds_count");
    double count1 = m1.value("asyncpage_page_duration_seconds_count");
    BOOST_TEST_MESSAGE("histogram count " << count0 << " -> " << count1);
    BOOST_TEST(count1 - count0 >= 3);
    BOOST_TEST(m1.value("asyncpage_page_duration_seconds_sum") >=
               m0.value("asyncpage_page_duration_seconds_sum"));
    BOOST_TEST(m1.value("asyncpage_page_duration_seconds_bucket", {{"le", "+Inf"}}) == count1);
    BOOST_TEST(m1.value("asyncpage_pages_total", {{"status", "ok"}}) -
                   m0.find("asyncpage_pages_total", {{"status", "ok"}}).value_or(0) >=
               3);
}

BOOST_AUTO_TEST_SUITE_END()
