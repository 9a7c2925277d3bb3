// `cache: D` end to end (README, "Report files" and "Deployment"): a complete
// answer of such a report carries Cache-Control: public, max-age=D and nginx (the
// local site, configured as the shipped one) keeps it, so 200 identical requests
// at once reach PostgreSQL once (fastcgi_cache_lock) and different params are
// different entries. Errors, partial pages, CSV exports and reports without
// `cache:` say no-store and are never kept. Counted by a sequence of the test's
// own that the report's SQL advances.
#include <boost/test/unit_test.hpp>

#include "support/own_site.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

namespace {

struct CacheSite {
    std::string seq = unique_name("cache_count");
    Pg pg;
    std::unique_ptr<ReportDir> reports;
    std::unique_ptr<Stack> stack;
    CacheSite() {
        pg.exec("CREATE SEQUENCE " + seq);
        // One second of work per run (the "cached 1 s report"); nextval
        // counts the runs in PostgreSQL. fail=true divides by zero only once the
        // run is counted (a constant 1 / 0 would fail at planning, uncounted).
        const std::string cached =
            "-- title: Cached\n"
            "-- param: k text default a\n"
            "-- param: fail bool default false\n"
            "-- cache: 30s\n"
            "-- timeout: 10s\n"
            "\n"
            "-- section: q\n"
            "SELECT n, :k AS k, CASE WHEN :fail THEN 1 / (n - n) ELSE 1 END AS x\n"
            "FROM (SELECT nextval('" +
            seq + "') AS n FROM pg_sleep(1)) AS counted;\n";
        const std::string partial =
            "-- title: Cached but one section fails\n"
            "-- cache: 30s\n"
            "\n"
            "-- section: good\n"
            "SELECT nextval('" +
            seq +
            "') AS n;\n"
            "-- section: bad\n"
            "SELECT 1 / 0 AS boom;\n";
        const std::string plain =
            "-- title: Not cached\n"
            "\n"
            "-- section: q\n"
            "SELECT nextval('" +
            seq + "') AS n;\n";
        reports = std::make_unique<ReportDir>(
            Reports{{"cached", cached}, {"cached_partial", partial}, {"plain", plain}});
        ServerOptions o;
        o.workers = 2;
        o.reports_dir = reports->path();
        stack = std::make_unique<Stack>(o);
    }
    ~CacheSite() {
        try {
            stack.reset();
            pg.exec("DROP SEQUENCE IF EXISTS " + seq);
        } catch (...) {
        }
    }
    // How many times a report's query ran.
    long long runs() {
        return pg.scalar_int("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + seq);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cache)

// The measure: 200 simultaneous identical requests to a cached 1 s report
// run its query once; then other params are other entries, each run once more.
BOOST_AUTO_TEST_CASE(two_hundred_identical_requests_run_the_query_once) {
    CacheSite site;
    Stack& s = *site.stack;
    std::vector<Request> reqs;
    for (int i = 0; i < 200; ++i)
        reqs.push_back(s.request("/reports/cached?format=json&k=same", 30000));
    auto answers = run_concurrent(reqs);
    int ok = 0;
    std::map<std::string, int> statuses;
    for (const auto& r : answers) {
        if (r.status == 200 && contains(r.body, "\"k\"")) ++ok;
        ++statuses[r.header("x-cache-status")];
    }
    for (const auto& [k, n] : statuses)
        BOOST_TEST_MESSAGE("X-Cache-Status " << (k.empty() ? "(none)" : k) << ": " << n);
    BOOST_TEST(ok == 200, "answers: " << answers[0].summary() << ": " << answers[0].body);
    BOOST_TEST(site.runs() == 1, "the query ran " << site.runs() << " times for 200 requests");
    BOOST_TEST(answers[0].header("cache-control") == "public, max-age=30");

    // Different params: a different entry, its own run; repeated, no new run.
    Response b1 = s.get("/reports/cached?format=json&k=other");
    BOOST_TEST_REQUIRE(b1.status == 200, b1.summary() << ": " << b1.body);
    BOOST_TEST(contains(b1.body, "\"other\""), b1.body);
    BOOST_TEST(site.runs() == 2);
    Response b2 = s.get("/reports/cached?format=json&k=other");
    BOOST_TEST(b2.body == b1.body);
    BOOST_TEST(b2.header("x-cache-status") == "HIT");
    BOOST_TEST(site.runs() == 2);
    // The same params in another format, and the first entry again.
    Response html = s.get("/reports/cached?k=same");
    BOOST_TEST(html.status == 200);
    BOOST_TEST(contains(to_lower(html.header("content-type")), "text/html"));
    BOOST_TEST(site.runs() == 3);
    Response again = s.get("/reports/cached?format=json&k=same");
    BOOST_TEST(again.header("x-cache-status") == "HIT");
    BOOST_TEST(site.runs() == 3);
}

// Cache-Control per case, and what nginx keeps: only a complete answer of a
// `cache:` report is public; every other answer is no-store and runs again.
BOOST_AUTO_TEST_CASE(cache_control_per_case) {
    CacheSite site;
    Stack& s = *site.stack;
    auto twice = [&](const std::string& path, long status, const std::string& control) {
        long long before = site.runs();
        Response r1 = s.get(path);
        Response r2 = s.get(path);
        BOOST_TEST(r1.status == status, path << ": " << r1.summary() << ": " << r1.body);
        BOOST_TEST(r1.header("cache-control") == control, path);
        BOOST_TEST(r2.header("cache-control") == control, path);
        return site.runs() - before;
    };
    // Complete: public, kept (one run for two requests).
    BOOST_TEST(twice("/reports/cached?format=json&k=j", 200, "public, max-age=30") == 1);
    BOOST_TEST(twice("/reports/cached?k=h", 200, "public, max-age=30") == 1);
    // A section failed: 500, not kept (both requests run it).
    BOOST_TEST(twice("/reports/cached?format=json&fail=true", 500, "no-store") == 2);
    // Partial: one section ok, one failed: 200 but not kept.
    BOOST_TEST(twice("/reports/cached_partial?format=json", 200, "no-store") == 2);
    // CSV: streamed before its end is known, never kept.
    BOOST_TEST(twice("/reports/cached?format=csv&k=c", 200, "no-store") == 2);
    // No `cache:`: no-store.
    BOOST_TEST(twice("/reports/plain?format=json", 200, "no-store") == 2);
    // A bad param (400) and the form alone: no query, no-store.
    BOOST_TEST(twice("/reports/cached?format=json&fail=maybe", 400, "no-store") == 0);
    BOOST_TEST(twice("/reports/cached", 200, "no-store") == 0);
    // Errors and job pages say no-store too.
    BOOST_TEST(twice("/reports/nope", 404, "no-store") == 0);
    BOOST_TEST(twice("/jobs/00000000-0000-4000-8000-000000000000", 404, "no-store") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
