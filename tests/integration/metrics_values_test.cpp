// /metrics values that no other suite checks, with exact values where they are
// known (one worker, a server and reports of the test's own): pool_size,
// pool_waiting and busy connections under load, pg_connects_total and
// pg_connections_lost_total against pg_stat_activity, pages_total by status
// (error, unavailable, timeout, partial), and the job gauges and counters.
#include <boost/test/unit_test.hpp>
#include <future>

#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

namespace {

std::string sleeping_sections(int n, double seconds, const std::string& marker) {
    std::string sql = "-- title: Parallel sleeps\n-- timeout: 10s\n";
    for (int i = 0; i < n; ++i) {
        sql += "\n-- section: s" + std::to_string(i) + "\nSELECT " + std::to_string(i) + " AS " +
               marker + " FROM pg_sleep(" + std::to_string(seconds) + ");\n";
    }
    return sql;
}

double pages(const Metrics& m, const std::string& status) {
    return m.find("asyncpage_pages_total", {{"status", status}}).value_or(0);
}

// Every pages_total label moved by exactly the given amounts (others by zero).
void expect_page_deltas(const Metrics& before, const Metrics& after,
                        const std::map<std::string, double>& deltas) {
    for (const char* status : {"ok", "partial", "error", "timeout", "unavailable"}) {
        auto it = deltas.find(status);
        double want = it == deltas.end() ? 0 : it->second;
        BOOST_TEST(pages(after, status) - pages(before, status) == want,
                   "pages_total{status=\"" << status << "\"}");
    }
}

const char* const job_report =
    "-- title: Metrics job\n"
    "-- param: steps int default 10\n"
    "-- param: step_ms int default 100\n"
    "-- param: fail bool default false\n"
    "-- job: true\n"
    "\n"
    "-- section: steps\n"
    "SELECT g.i AS own_metrics_job, CASE WHEN :fail AND g.i = :steps THEN 1 / 0 END AS boom\n"
    "FROM generate_series(1, :steps) AS g(i),\n"
    "     LATERAL (SELECT asyncpage.progress(g.i * 100 / :steps, 'step ' || g.i),\n"
    "                     pg_sleep(:step_ms / 1000.0)) AS x;\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_values)

// pool_size 5, a page of 7 parallel 0.8 s sections (report_share 1): 5 busy, 2
// waiting; connects counted as the server's backends appear; terminating them
// counts as lost.
BOOST_AUTO_TEST_CASE(pool_gauges_and_connection_counters) {
    ReportDir reports(Reports{{"seven", sleeping_sections(7, 0.8, "own_metrics_seven")}});
    ServerOptions o;
    o.reports_dir = reports.path();
    o.pool_size = 5;
    o.config["report_share"] = "1.0";
    Stack s(o);
    const std::string app = s.server().application_name();
    Pg pg;
    Metrics m0 = s.metrics();
    BOOST_TEST(m0.value("asyncpage_pool_size") == 5);
    BOOST_TEST(m0.value("asyncpage_pool_waiting") == 0);
    long long backends0 = pg.count_backends(app);
    BOOST_TEST(m0.value("asyncpage_pg_connects_total") == backends0);

    auto page = request_async(s.request("/reports/seven?format=json", 15000));
    Metrics busy = m0;
    bool full = wait_until(
        [&] {
            busy = s.metrics();
            return busy.value("asyncpage_pool_connections", {{"state", "busy"}}) == 5 &&
                   busy.value("asyncpage_pool_waiting") == 2;
        },
        5s);
    BOOST_TEST(full, "never 5 busy and 2 waiting:\n" << busy.text());
    BOOST_TEST(busy.value("asyncpage_queries_in_flight") == 5);
    Response r = page.get();
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    BOOST_TEST(r.seconds >= 1.5, "7 sections on 5 connections need two waves: " << r.summary());

    Metrics m1 = s.metrics();
    BOOST_TEST(m1.value("asyncpage_pool_waiting") == 0);
    BOOST_TEST(m1.value("asyncpage_pool_connections", {{"state", "idle"}}) == 5);
    long long backends1 = pg.count_backends(app);
    BOOST_TEST(backends1 == 5);
    BOOST_TEST(m1.value("asyncpage_pg_connects_total") - m0.value("asyncpage_pg_connects_total") ==
               backends1 - backends0);
    BOOST_TEST(m1.value("asyncpage_pg_connections_lost_total") == 0);

    long long killed = pg.terminate_backends(app);
    BOOST_TEST_REQUIRE(killed == 5);
    // The loss shows when the worker notices (idle sockets are watched; a page
    // after it makes sure).
    Metrics m2 = m1;
    bool counted = wait_until(
        [&] {
            m2 = s.metrics();
            return m2.value("asyncpage_pg_connections_lost_total") == 5;
        },
        5s, 100ms);
    BOOST_TEST(counted, "lost connections:\n" << m2.text());
    Response after = s.get("/reports/seven?format=json", {}, 15000);
    BOOST_TEST(after.status == 200, after.summary() << " " << after.body);
    Metrics m3 = s.metrics();
    BOOST_TEST(m3.value("asyncpage_pg_connections_lost_total") == 5);
    BOOST_TEST(m3.value("asyncpage_pg_connects_total") - m1.value("asyncpage_pg_connects_total") ==
               5);
}

// pages_total by outcome: each kind of page moves its own label by exactly one.
BOOST_AUTO_TEST_CASE(pages_total_by_status) {
    ReportDir reports(
        Reports{{"allbad",
                 "-- title: All sections fail\n"
                 "\n-- section: a\nSELECT 1 / 0 AS own_metrics_a;\n"
                 "\n-- section: b\nSELECT * FROM own_metrics_missing_table;\n"},
                {"halfbad",
                 "-- title: One section fails\n"
                 "\n-- section: a\nSELECT 1 AS own_metrics_ok;\n"
                 "\n-- section: b\nSELECT 1 / 0 AS own_metrics_b;\n"},
                {"late",
                 "-- title: Too slow\n-- timeout: 300ms\n"
                 "\n-- section: a\nSELECT 1 AS own_metrics_late FROM pg_sleep(5);\n"},
                {"fine", "-- title: Fine\n\n-- section: a\nSELECT 1 AS own_metrics_fine;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    struct Case {
        const char* report;
        long status;
        const char* label;
    };
    for (Case c : {Case{"allbad", 500, "error"}, Case{"halfbad", 200, "partial"},
                   Case{"late", 504, "timeout"}, Case{"fine", 200, "ok"}}) {
        BOOST_TEST_CONTEXT(c.report) {
            Metrics before = s.metrics();
            Response r = s.get(std::string("/reports/") + c.report + "?format=json");
            BOOST_TEST(r.status == c.status, r.summary() << " " << r.body);
            Metrics after = s.metrics();
            expect_page_deltas(before, after, {{c.label, 1}});
        }
    }
    Metrics before = s.metrics();
    Response r = s.get("/reports/late?format=json");
    BOOST_TEST(r.status == 504);
    BOOST_TEST(s.metrics().value("asyncpage_timeouts_total") -
                   before.value("asyncpage_timeouts_total") ==
               1);
}

// No PostgreSQL behind the dsn: the page is 503 and counts as unavailable; each
// connection attempt counts in pg_connects_total; /healthz is 503.
BOOST_AUTO_TEST_CASE(unavailable_pages_are_counted) {
    ReportDir reports(Reports{
        {"fine",
         "-- title: Fine\n-- timeout: 500ms\n\n-- section: a\nSELECT 1 AS own_metrics_na;\n"}});
    TempDir nowhere("asyncpage-own-nopg");
    ServerOptions o;
    o.reports_dir = reports.path();
    o.dsn = "host=" + nowhere.path().string() + " port=5999 dbname=none user=none";
    o.config["jobs_dsn"] = toml_string(test_dsn());  // jobs have their own database
    Stack s(o);
    Metrics before = s.metrics();
    Response r = s.get("/reports/fine?format=json");
    BOOST_TEST(r.status == 503, r.summary() << " " << r.body);
    BOOST_TEST(r.has_header("Retry-After"));
    BOOST_TEST(r.seconds < 2.0, r.summary());
    Metrics after = s.metrics();
    expect_page_deltas(before, after, {{"unavailable", 1}});
    BOOST_TEST(after.value("asyncpage_pg_connects_total") >
               before.value("asyncpage_pg_connects_total"));
    BOOST_TEST(after.value("asyncpage_pool_connections", {{"state", "idle"}}) == 0);
    BOOST_TEST(s.get("/healthz").status == 503);
}

// Job gauges and counters on one worker: running, waiters by kind, the LISTEN
// connection, created, claimed / succeeded / failed / cancelled, progress.
BOOST_AUTO_TEST_CASE(job_gauges_and_counters) {
    migrate_test_db();
    ReportDir reports(Reports{{"mjob", job_report}});
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    Metrics m0 = s.metrics();
    BOOST_TEST(m0.value("asyncpage_job_events_listening") == 1);
    BOOST_TEST(m0.value("asyncpage_jobs_running") == 0);
    BOOST_TEST(m0.value("asyncpage_job_waiters", {{"kind", "wait"}}) == 0);
    BOOST_TEST(m0.value("asyncpage_job_waiters", {{"kind", "events"}}) == 0);
    auto job_total = [](const Metrics& m, const char* state) {
        return m.value("asyncpage_jobs_total", {{"state", state}});
    };

    // A job of 30 x 100 ms, followed by a long poll and an event stream.
    auto j = create_job(s, "mjob", "steps=30&step_ms=100");
    std::string id = j["id"];
    auto running = wait_job(s, id, [](const nlohmann::json& x) { return x["state"] == "running"; });
    BOOST_TEST_REQUIRE(running["state"] == "running");
    auto poll = request_async(s.request("/jobs/" + id + "/wait?timeout=4&since=1000000", 30000));
    // std::async: its future waits for the stream (bounded by its 20 s client
    // timeout) also when an assertion below ends the test early.
    std::atomic<bool> ended{false};
    auto stream_done = std::async(std::launch::async, [&] {
        stream(s.request("/jobs/" + id + "/events", 20000), [](std::string_view) {});
        ended = true;
    });
    Metrics m1 = m0;
    bool seen = wait_until(
        [&] {
            m1 = s.metrics();
            return m1.value("asyncpage_job_waiters", {{"kind", "wait"}}) == 1 &&
                   m1.value("asyncpage_job_waiters", {{"kind", "events"}}) == 1;
        },
        5s);
    BOOST_TEST(seen, m1.text());
    BOOST_TEST(m1.value("asyncpage_jobs_running") == 1);
    BOOST_TEST(
        m1.value("asyncpage_jobs_created_total") - m0.value("asyncpage_jobs_created_total") == 1);
    BOOST_TEST(job_total(m1, "claimed") - job_total(m0, "claimed") == 1);
    // "running" is written before the job's first statement sends its first
    // notice: wait for one rather than race it.
    Metrics noticed = m1;
    BOOST_TEST(wait_until(
                   [&] {
                       noticed = s.metrics();
                       return noticed.value("asyncpage_job_progress_notices_total") >
                              m0.value("asyncpage_job_progress_notices_total");
                   },
                   5s),
               noticed.text());

    auto done = wait_job(s, id, job_final, 20);
    BOOST_TEST_REQUIRE(done["state"] == "succeeded", done.dump());
    BOOST_TEST(wait_until([&] { return ended.load(); }, 5s), "the event stream did not end");
    stream_done.get();
    poll.get();
    Metrics m2 = s.metrics();
    BOOST_TEST(m2.value("asyncpage_jobs_running") == 0);
    BOOST_TEST(m2.value("asyncpage_job_waiters", {{"kind", "wait"}}) == 0);
    BOOST_TEST(m2.value("asyncpage_job_waiters", {{"kind", "events"}}) == 0);
    BOOST_TEST(job_total(m2, "succeeded") - job_total(m0, "succeeded") == 1);
    BOOST_TEST(m2.value("asyncpage_job_progress_notices_total") -
                   m0.value("asyncpage_job_progress_notices_total") ==
               30);
    BOOST_TEST(m2.value("asyncpage_job_progress_writes_total") >
               m0.value("asyncpage_job_progress_writes_total"));

    // Two jobs whose SQL fails, and one cancelled while it runs (different counts,
    // so that a mix-up of the labels shows).
    for (int i = 0; i < 2; ++i) {
        auto bad = create_job(s, "mjob", "steps=2&step_ms=0&fail=true");
        auto failed = wait_job(s, bad["id"], job_final, 20);
        BOOST_TEST(failed["state"] == "failed", failed.dump());
    }
    auto victim = create_job(s, "mjob", "steps=100&step_ms=100");
    std::string vid = victim["id"];
    auto vr = wait_job(s, vid, [](const nlohmann::json& x) { return x["state"] == "running"; });
    BOOST_TEST_REQUIRE(vr["state"] == "running");
    Request cancel;
    cancel.url = "/jobs/" + vid;
    cancel.method = "DELETE";
    cancel.headers = {"Accept: application/json"};
    Response c = s.send(cancel);
    BOOST_TEST(c.status == 200, c.summary() << " " << c.body);
    Metrics m3 = m2;
    bool counted = wait_until(
        [&] {
            m3 = s.metrics();
            return job_total(m3, "cancelled") - job_total(m0, "cancelled") == 1 &&
                   m3.value("asyncpage_jobs_running") == 0;
        },
        5s);
    BOOST_TEST(counted, m3.text());
    BOOST_TEST(job_total(m3, "failed") - job_total(m0, "failed") == 2);
    BOOST_TEST(job_total(m3, "claimed") - job_total(m0, "claimed") == 4);
    BOOST_TEST(job_total(m3, "succeeded") - job_total(m0, "succeeded") == 1);
    BOOST_TEST(job_total(m3, "requeued") - job_total(m0, "requeued") == 0);
    BOOST_TEST(
        m3.value("asyncpage_jobs_created_total") - m0.value("asyncpage_jobs_created_total") == 4);
}

BOOST_AUTO_TEST_SUITE_END()
