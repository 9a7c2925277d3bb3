// Page-level promises of README that no other suite checks: `?trace=1` only with
// `debug = true`, the 63 KB job-form limit, the access log line, ASYNCPAGE_*
// overrides through `serve`, and `concurrency:` enforced at run time.
#include <boost/test/unit_test.hpp>
#include <regex>
#include <thread>

#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

namespace {

const char* const trace_report =
    "-- title: Trace probe\n"
    "-- param: n int default 1\n"
    "\n"
    "-- section: one\n"
    "SELECT :n AS own_trace;\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(page_options)

// debug = false (the default) ignores ?trace=1: no timeline in HTML, no trace
// fields in JSON. The same requests on a debug = true server do show them, so
// the markers looked for are the right ones.
BOOST_AUTO_TEST_CASE(trace_needs_debug) {
    ReportDir reports(Reports{{"tracep", trace_report}});
    for (bool debug : {false, true}) {
        BOOST_TEST_CONTEXT("debug = " << debug) {
            ServerOptions o;
            o.reports_dir = reports.path();
            o.config["debug"] = debug ? "true" : "false";
            Stack s(o);
            Response j = s.get("/reports/tracep?format=json&trace=1");
            BOOST_TEST_REQUIRE(j.status == 200, j.summary() << " " << j.body);
            auto page = parse_json(j);
            BOOST_TEST(page.contains("wait_ms") == debug, page.dump());
            BOOST_TEST(section(page, "one").contains("trace") == debug, page.dump());
            Response h = s.get("/reports/tracep?n=2&trace=1");
            BOOST_TEST_REQUIRE(h.status == 200, h.summary());
            BOOST_TEST(contains(h.body, "<h2>Timeline</h2>") == debug);
            BOOST_TEST(contains(h.body, "name=\"trace\"") == debug);
            BOOST_TEST(contains(h.body, ">2<"), "the report did not run");
        }
    }
}

// Job forms are read up to 63 KB: a 62,000-byte form is read whole (the job sees
// every byte), a 66,000-byte one is 413 and creates no job. max_body (1MB) and
// nginx (8m) would both let the larger one through.
BOOST_AUTO_TEST_CASE(job_form_limit_is_63_kb) {
    ReportDir reports(Reports{{"formjob",
                               "-- title: Form job\n"
                               "-- param: note text\n"
                               "-- job: true\n"
                               "\n"
                               "-- section: s\n"
                               "SELECT length(:note) AS note_length;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    Pg pg(s.server().jobs_dsn());

    std::string small = "note=" + std::string(62000 - 5, 'a');
    auto created = create_job(s, "formjob", small);
    std::string id = created["id"];
    auto done = wait_job(s, id, job_final);
    BOOST_TEST_REQUIRE(done["state"] == "succeeded", done.dump());
    Response result = s.get("/jobs/" + id + "/result?format=json");
    BOOST_TEST_REQUIRE(result.status == 200, result.summary() << " " << result.body);
    auto rows = section(parse_json(result), "s")["rows"];
    BOOST_TEST(rows.dump() == "[[61995]]");

    long long jobs_before = pg.scalar_int("SELECT count(*) FROM asyncpage.jobs");
    std::string large = "note=" + std::string(66000 - 5, 'b');
    Response r = post_job(s, "formjob", large);
    BOOST_TEST(r.status == 413, r.summary() << " " << r.body);
    BOOST_TEST(contains(r.body, "63 KB"), r.body);
    BOOST_TEST(pg.scalar_int("SELECT count(*) FROM asyncpage.jobs") == jobs_before,
               "the refused form created a job");
}

// One access line per page with method, path, report, status, total time, pool
// wait, and each section's status and query time; CSV lines carry the row count.
BOOST_AUTO_TEST_CASE(access_log_line_contents) {
    ReportDir reports(Reports{{"acc",
                               "-- title: Access log probe\n"
                               "-- parallel: false\n"
                               "\n"
                               "-- section: good\n"
                               "SELECT g AS own_access FROM generate_series(1, 3) AS g;\n"
                               "\n"
                               "-- section: bad\n"
                               "SELECT 1 / 0 AS own_access_bad;\n"}});
    TempDir logs("asyncpage-own-logs");
    ServerOptions o;
    o.reports_dir = reports.path();
    o.config["access_log"] = toml_string((logs / "access.log").string());
    Stack s(o);
    Response j = s.get("/reports/acc?format=json");
    BOOST_TEST_REQUIRE(j.status == 200, j.summary() << " " << j.body);
    Response c = s.get("/reports/acc?format=csv&section=good");
    BOOST_TEST_REQUIRE(c.status == 200, c.summary());

    std::string text;
    bool two = wait_until(
        [&] {
            text = read_file(logs / "access.log");
            return count_of(text, "report=acc") >= 2;
        },
        5s);
    BOOST_TEST_MESSAGE("access.log:\n" << text);
    BOOST_TEST_REQUIRE(two, "two access lines expected:\n" << text);
    const std::string ms = R"(\d+(\.\d+)?)";
    std::regex json_line(
        "access \\[worker \\d+\\] GET /reports/acc report=acc status=partial "
        "total_ms=" +
        ms + " wait_ms=" + ms + " sections=\\[good:ok:" + ms + "ms bad:error:" + ms + "ms\\]\n");
    std::regex csv_line("access \\[worker \\d+\\] GET /reports/acc report=acc status=ok total_ms=" +
                        ms + " wait_ms=" + ms + " sections=\\[good:ok:" + ms + "ms\\] rows=3\n");
    BOOST_TEST(std::regex_search(text, json_line), "no JSON page line of the expected shape");
    BOOST_TEST(std::regex_search(text, csv_line), "no CSV page line of the expected shape");
    BOOST_TEST(count_of(text, "\n") == 2u, "one line per page expected");
}

// ASYNCPAGE_* variables given to `serve` win over the file: pool_size shows in
// /metrics, debug turns ?trace=1 on, default_timeout ends a slow page early.
BOOST_AUTO_TEST_CASE(environment_overrides_through_serve) {
    ReportDir reports(Reports{{"tracep", trace_report},
                              {"slowenv",
                               "-- title: Slow without timeout header\n"
                               "\n"
                               "-- section: s\n"
                               "SELECT 1 AS own_env_slow FROM pg_sleep(3);\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    o.pool_size = 16;
    o.config["debug"] = "false";
    o.config["default_timeout"] = toml_string("5s");
    o.env = {{"ASYNCPAGE_POOL_SIZE", "3"},
             {"ASYNCPAGE_DEBUG", "true"},
             {"ASYNCPAGE_DEFAULT_TIMEOUT", "400ms"}};
    Stack s(o);
    BOOST_TEST(s.metrics().value("asyncpage_pool_size") == 3);
    auto page = parse_json(s.get("/reports/tracep?format=json&trace=1"));
    BOOST_TEST(section(page, "one").contains("trace"), page.dump());
    Response slow = s.get("/reports/slowenv?format=json");
    BOOST_TEST(slow.status == 504, slow.summary() << " " << slow.body);
    BOOST_TEST(slow.seconds < 2.0, slow.summary());
}

// `concurrency: 2` over six parallel sections of 0.6 s: never more than two run at
// once (counted in pg_stat_activity by the server's own application_name), the
// others wait (asyncpage_pool_waiting), and the page takes three waves.
BOOST_AUTO_TEST_CASE(concurrency_caps_sections_at_run_time) {
    std::string sql =
        "-- title: Capped\n"
        "-- concurrency: 2\n"
        "-- timeout: 10s\n";
    for (char c = 'a'; c <= 'f'; ++c) {
        sql += std::string("\n-- section: ") + c + "\nSELECT 1 AS own_cap FROM pg_sleep(0.6);\n";
    }
    ReportDir reports(Reports{{"capped", sql}});
    ServerOptions o;
    o.reports_dir = reports.path();
    o.pool_size = 16;
    o.config["report_share"] = "1.0";
    Stack s(o);
    Pg pg;
    auto page = request_async(s.request("/reports/capped?format=json", 15000));
    int most = 0;
    long long waiting = 0;
    auto start = Clock::now();
    while (page.wait_for(5ms) != std::future_status::ready && seconds_since(start) < 12) {
        most = std::max(most, pg.count_active(s.server().application_name(), "%own_cap%"));
        if (waiting == 0)
            waiting = static_cast<long long>(s.metrics().value("asyncpage_pool_waiting"));
    }
    Response r = page.get();
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    BOOST_TEST(parse_json(r)["status"] == "ok");
    BOOST_TEST_MESSAGE("at most " << most << " at once, " << waiting << " waiting, "
                                  << r.summary());
    BOOST_TEST(most == 2, "sections running at once: " << most);
    BOOST_TEST(waiting >= 1, "asyncpage_pool_waiting never rose");
    BOOST_TEST(r.seconds >= 1.7, "three waves of 0.6 s expected: " << r.summary());
}

BOOST_AUTO_TEST_SUITE_END()
