// /metrics and /healthz: every gauge and counter README lists is exported in
// Prometheus text format with its type and labels, and the page counters and the
// page-latency histogram count exactly the pages served.
#include <signal.h>

#include <boost/test/unit_test.hpp>

#include "support/env.hpp"
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

    // Every name README lists, with its Prometheus type.
    const std::vector<std::pair<std::string, std::string>> names = {
        {"asyncpage_workers", "gauge"},
        {"asyncpage_pending_pages", "gauge"},
        {"asyncpage_queries_in_flight", "gauge"},
        {"asyncpage_pool_connections", "gauge"},
        {"asyncpage_pool_waiting", "gauge"},
        {"asyncpage_pool_size", "gauge"},
        {"asyncpage_pages_total", "counter"},
        {"asyncpage_timeouts_total", "counter"},
        {"asyncpage_cancels_total", "counter"},
        {"asyncpage_client_aborts_total", "counter"},
        {"asyncpage_rejected_total", "counter"},
        {"asyncpage_pg_connects_total", "counter"},
        {"asyncpage_pg_connections_lost_total", "counter"},
        {"asyncpage_fastcgi_requests_total", "counter"},
        {"asyncpage_fastcgi_connections_total", "counter"},
        {"asyncpage_jobs_running", "gauge"},
        {"asyncpage_job_waiters", "gauge"},
        {"asyncpage_job_events_listening", "gauge"},
        {"asyncpage_jobs_created_total", "counter"},
        {"asyncpage_jobs_total", "counter"},
        {"asyncpage_job_progress_notices_total", "counter"},
        {"asyncpage_job_progress_writes_total", "counter"},
    };
    for (const auto& [name, type] : names) {
        BOOST_TEST(m0.has(name), "missing " << name);
        BOOST_TEST(m0.type(name) == type, name << " has type '" << m0.type(name) << "'");
    }
    for (const char* state : {"idle", "busy", "connecting", "cancelling"}) {
        BOOST_TEST(m0.find("asyncpage_pool_connections", {{"state", state}}).has_value(),
                   "missing asyncpage_pool_connections{state=\"" << state << "\"}");
    }
    for (const char* status : {"ok", "partial", "error", "timeout", "unavailable"}) {
        BOOST_TEST(m0.find("asyncpage_pages_total", {{"status", status}}).has_value(),
                   "missing asyncpage_pages_total{status=\"" << status << "\"}");
    }
    for (const char* state : {"claimed", "succeeded", "failed", "cancelled", "requeued"}) {
        BOOST_TEST(m0.find("asyncpage_jobs_total", {{"state", state}}).has_value(),
                   "missing asyncpage_jobs_total{state=\"" << state << "\"}");
    }
    for (const char* kind : {"wait", "events"}) {
        BOOST_TEST(m0.find("asyncpage_job_waiters", {{"kind", kind}}).has_value(),
                   "missing asyncpage_job_waiters{kind=\"" << kind << "\"}");
    }
    BOOST_TEST(m0.value("asyncpage_pool_size") == 16, "the stack's pool_size");
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

    // Exactly three pages between the two scrapes (workers = 1: the whole server's
    // counters; a scrape is not a page, and this suite runs one case at a time).
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(s.get("/reports/trivial?format=json").status == 200);
    Metrics m1 = s.metrics();
    double count0 = m0.value("asyncpage_page_duration_seconds_count");
    double count1 = m1.value("asyncpage_page_duration_seconds_count");
    BOOST_TEST_MESSAGE("histogram count " << count0 << " -> " << count1);
    BOOST_TEST(count1 - count0 == 3);
    BOOST_TEST(m1.value("asyncpage_page_duration_seconds_sum") >
               m0.value("asyncpage_page_duration_seconds_sum"));
    BOOST_TEST(m1.value("asyncpage_page_duration_seconds_bucket", {{"le", "+Inf"}}) == count1);
    BOOST_TEST(m1.value("asyncpage_pages_total", {{"status", "ok"}}) -
                   m0.value("asyncpage_pages_total", {{"status", "ok"}}) ==
               3);
    BOOST_TEST(m1.value("asyncpage_pages_total") - m0.value("asyncpage_pages_total") == 3,
               "pages of another status counted");
}

// A scrape through nginx reaches whichever worker accepts it (README, "Metrics
// and logs"): with two workers each scrape must still show the whole server's
// counts, equal to the sum of the workers' own (?worker=N), and a worker killed
// and replaced must not take its counts away: counters never go down.
BOOST_AUTO_TEST_CASE(two_workers_scrape_as_one_server_and_counters_never_go_down) {
    ServerOptions o;
    o.workers = 2;
    Stack s(o);
    std::vector<pid_t> pids = s.server().wait_workers(2);
    auto ok = [](const Metrics& m) { return m.value("asyncpage_pages_total", {{"status", "ok"}}); };
    auto worker = [&](int n) {
        Response r = s.get("/metrics?worker=" + std::to_string(n));
        BOOST_TEST_REQUIRE(r.status == 200, r.summary());
        return Metrics::parse(r.body);
    };
    // Both workers serve pages: one-second pages, eight at a time, until each has
    // answered some (the kernel picks the worker that accepts). Each worker's own
    // figures are up to date once their sum is the pages sent.
    double pages = 0, w0 = 0, w1 = 0;
    for (int round = 0; round < 6 && (w0 == 0 || w1 == 0); ++round) {
        std::vector<Request> batch(8, s.request("/reports/hold1?format=json"));
        for (const Response& r : run_concurrent(batch)) {
            BOOST_TEST_REQUIRE(r.status == 200, r.summary());
            ++pages;
        }
        BOOST_TEST_REQUIRE(
            wait_until(
                [&] {
                    w0 = ok(worker(0));
                    w1 = ok(worker(1));
                    return w0 + w1 == pages;
                },
                5s),
            "the workers' own counts " << w0 << " + " << w1 << " never reached " << pages);
    }
    BOOST_TEST_MESSAGE("pages " << pages << ": worker 0 " << w0 << ", worker 1 " << w1);
    BOOST_TEST_REQUIRE((w0 > 0 && w1 > 0), "one worker served every page: nothing to sum");

    // Workers publish a few times a second: once the total is complete, every
    // scrape, through whichever worker, shows all of it.
    BOOST_TEST_REQUIRE(wait_until([&] { return ok(s.metrics()) == pages; }, 5s),
                       "the total never reached " << pages << ": " << ok(s.metrics()));
    for (int i = 0; i < 12; ++i) {
        Metrics m = s.metrics();
        BOOST_TEST(ok(m) == pages, "scrape " << i << " read " << ok(m));
        BOOST_TEST(m.value("asyncpage_workers") == 2);
        BOOST_TEST(m.value("asyncpage_pool_size") == 32, "two workers' pool_size 16");
    }

    // A worker killed: its counts stay, the replacement adds to them.
    BOOST_TEST_REQUIRE(::kill(pids[0], SIGKILL) == 0);
    BOOST_TEST_REQUIRE(wait_until(
        [&] {
            auto now = s.server().worker_pids();
            return now.size() == 2 && std::find(now.begin(), now.end(), pids[0]) == now.end();
        },
        10s));
    for (int i = 0; i < 12; ++i) {
        // (A kept nginx connection to the killed worker may still fail once: 502.)
        Response r = s.get("/metrics");
        if (r.status == 502) r = s.get("/metrics");
        BOOST_TEST_REQUIRE(r.status == 200, r.summary());
        BOOST_TEST(ok(Metrics::parse(r.body)) == pages,
                   "after the kill, scrape " << i << " read " << ok(Metrics::parse(r.body)));
    }
    for (int i = 0; i < 4; ++i)
        BOOST_TEST(s.get("/reports/trivial?format=json").status == 200);
    BOOST_TEST(wait_until([&] { return ok(s.metrics()) == pages + 4; }, 5s),
               "after 4 more pages the total read " << ok(s.metrics()));
    Response bad = s.get("/metrics?worker=7");
    BOOST_TEST(bad.status == 404, bad.summary());
    BOOST_TEST(contains(bad.body, "no running worker number 7"), bad.body);
}

BOOST_AUTO_TEST_SUITE_END()
