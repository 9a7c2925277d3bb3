// Bounds of DESIGN's table that end one request or report, never the worker:
// a report whose timeout is past PostgreSQL's range is skipped while the others
// are served, and an exception in one page, job run or watch ends that request
// (500) while the same worker goes on serving.
#include <boost/test/unit_test.hpp>

#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

namespace {

const char* const fine_report =
    "-- title: Fine\n"
    "\n"
    "-- section: one\n"
    "SELECT 1 AS own_bounds_fine;\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(bounds)

// `timeout: 30d` would push the statement_timeout backstop past PostgreSQL's
// range (2^31-1 ms), and every pooled connection would fail at start-up (every
// page 503). The report is refused at load, with its file and line, and the
// others answer.
BOOST_AUTO_TEST_CASE(report_timeout_beyond_24_days_is_skipped_and_the_others_serve) {
    ReportDir reports(Reports{{"fine", fine_report},
                              {"forever",
                               "-- title: Forever\n"
                               "-- timeout: 30d\n"
                               "\n"
                               "-- section: one\n"
                               "SELECT 2 AS own_bounds_forever;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    Response fine = s.get("/reports/fine?format=json");
    BOOST_TEST(fine.status == 200, fine.summary() << " " << fine.body);
    Response html = s.get("/reports/fine?run=1");
    BOOST_TEST(html.status == 200, html.summary());
    Response forever = s.get("/reports/forever?format=json");
    BOOST_TEST(forever.status == 404, forever.summary() << " " << forever.body);
    std::string log = s.server().log_tail(200);
    BOOST_TEST(contains(log, "forever.sql:2:"), "the load error does not name file:line:\n" << log);
    BOOST_TEST(contains(log, "longer than 24d"), log);
}

// The test-only hook (ASYNCPAGE_TEST_THROW, core/test_hooks.hpp) throws
// std::bad_alloc when rows of `boom` or `boomjob` arrive, and a runtime_error when
// a watch applies a job's state. Each ends its own request, answered 500 where
// nothing was sent; the worker (the same pid) serves the next page.
BOOST_AUTO_TEST_CASE(an_exception_ends_its_request_and_the_worker_goes_on) {
    ReportDir reports(Reports{{"fine", fine_report},
                              {"boom",
                               "-- title: Boom\n"
                               "\n"
                               "-- section: one\n"
                               "SELECT 1 AS own_bounds_boom;\n"},
                              {"boomjob",
                               "-- title: Boom job\n"
                               "-- job: true\n"
                               "\n"
                               "-- section: one\n"
                               "SELECT 1 AS own_bounds_boomjob;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    o.env["ASYNCPAGE_TEST_THROW"] = "rows:boom,rows:boomjob,watch:*";
    Stack s(o);
    auto workers = s.server().wait_workers(1);

    for (std::string format : {"json", "html", "csv"}) {
        BOOST_TEST_CONTEXT("format " << format) {
            Response r = s.get("/reports/boom?run=1&format=" + format + "&section=one");
            BOOST_TEST(r.status == 500, r.summary() << " " << r.body);
            BOOST_TEST(contains(r.body, "internal error"), r.body);
            Response next = s.get("/reports/fine?format=json");
            BOOST_TEST(next.status == 200, next.summary() << " " << next.body);
            BOOST_TEST(contains(next.body, "own_bounds_fine"), next.body);
            BOOST_TEST(s.server().worker_pids() == workers, "the worker was replaced");
        }
    }
    std::string log = s.server().log_tail(400);
    BOOST_TEST(contains(log, "/reports/boom (report boom) failed with an exception: out of memory"),
               "the page's context is not in the log:\n"
                   << log);

    // A job run: the job ends failed, saying why, and the runner goes on.
    auto created = create_job(s, "boomjob", "");
    std::string id = created["id"];
    nlohmann::json done;  // read with GET /jobs/ID: long polls fail here (watch:*)
    BOOST_TEST_REQUIRE(wait_until([&] { return job_final(done = job_json(s, id)); }, 20s),
                       "the job did not end: " << done.dump());
    BOOST_TEST(done["state"] == "failed", done.dump());
    BOOST_TEST(contains(done["error"].dump(), "internal error"), done.dump());

    // A long poll (a watch): 500, and the worker goes on.
    Response poll = s.get("/jobs/" + id + "/wait?since=0&timeout=5", {"Accept: application/json"});
    BOOST_TEST(poll.status == 500, poll.summary() << " " << poll.body);
    Response after = s.get("/reports/fine?format=json");
    BOOST_TEST(after.status == 200, after.summary());
    BOOST_TEST(s.server().worker_pids() == workers, "the worker was replaced");
    log = s.server().log_tail(400);
    BOOST_TEST(contains(log, "(report boomjob) failed with an exception"), log);
    BOOST_TEST(contains(log, "long poll on job " + id + " failed with an exception"), log);
}

// The store's callbacks into a job request (JobRoutes::guarded) have their own
// barrier: ASYNCPAGE_TEST_THROW=jobs:STEP throws in that callback. Reading a result
// (`sections`) and cancelling (`cancel`) answer 500, and the same worker goes on.
BOOST_AUTO_TEST_CASE(an_exception_in_a_job_request_ends_that_request_only) {
    ReportDir reports(Reports{{"fine", fine_report},
                              {"quickjob",
                               "-- title: Quick job\n"
                               "-- job: true\n"
                               "\n"
                               "-- section: one\n"
                               "SELECT 1 AS own_bounds_quickjob;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    o.env["ASYNCPAGE_TEST_THROW"] = "jobs:sections,jobs:cancel";
    Stack s(o);
    auto workers = s.server().wait_workers(1);

    std::string id = create_job(s, "quickjob", "")["id"];
    nlohmann::json done;
    BOOST_TEST_REQUIRE(wait_until([&] { return job_final(done = job_json(s, id)); }, 20s),
                       "the job did not end: " << done.dump());
    BOOST_TEST_REQUIRE(done["state"] == "succeeded", done.dump());

    Response csv = s.get("/jobs/" + id + "/result?format=csv&section=one");
    BOOST_TEST(csv.status == 500, csv.summary() << " " << csv.body);
    BOOST_TEST(contains(csv.body, "internal error"), csv.body);
    Request del = s.request("/jobs/" + id);
    del.method = "DELETE";
    del.headers = {"Accept: application/json"};
    Response cancel = request(del);  // s.request gave the whole URL
    BOOST_TEST(cancel.status == 500, cancel.summary() << " " << cancel.body);
    Response next = s.get("/reports/fine?format=json");
    BOOST_TEST(next.status == 200, next.summary() << " " << next.body);
    BOOST_TEST(s.server().worker_pids() == workers, "the worker was replaced");
    std::string log = s.server().log_tail(200);
    BOOST_TEST(contains(log, "/result failed with an exception (in sections)"), log);
    BOOST_TEST(contains(log, "failed with an exception (in cancel)"), log);
}

BOOST_AUTO_TEST_SUITE_END()
