// Pages in a real browser: runs the scripts in tests/browser (Debian's headless
// Chromium driven by playwright-core) against the e2e stack, through nginx. Each
// script asserts; a case fails when its script exits non-zero.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/own_site.hpp"
#include "support/pg.hpp"
#include "support/server.hpp"
#include "support/stack.hpp"
#include "support/stacks.hpp"

using namespace support;

namespace {

// Runs `node tests/browser/SCRIPT BASE_URL` and fails the case when it exits non-zero;
// its output (timings, or the failed assertion) goes to the test log either way.
std::string run_browser_script(const std::string& script, Stack* stack = nullptr,
                               const std::vector<std::string>& args = {}) {
    std::filesystem::path dir = std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "tests/browser";
    BOOST_TEST_REQUIRE(std::filesystem::exists(dir / "node_modules/playwright-core"),
                       "playwright-core is not installed: run scripts/setup --test");
    BOOST_TEST_REQUIRE(std::filesystem::exists("/usr/bin/chromium"),
                       "Debian's chromium is not installed: run scripts/setup --test");
    Stack& s = stack ? *stack : e2e_stack();
    std::string command =
        "node " + shell_quote((dir / script).string()) + " " + shell_quote(s.url(""));
    for (const auto& a : args)
        command += " " + shell_quote(a);
    // The environment stays: node and Chromium need nothing of ASYNCPAGE_*, but a
    // developer's NODE_* or proxy settings must reach them.
    CommandResult r = run_command(command, /*strip_asyncpage_env=*/false);
    BOOST_TEST_MESSAGE(script << " output:\n" << r.output);
    BOOST_TEST(r.status == 0, script << " failed:\n" << r.output);
    return r.output;
}

// The demo's database (sql/demo.sql: 1M orders; sql/demo_functions.sql), made for
// the test and dropped after it, so the demo's own reports run on their own data.
class DemoDb {
  public:
    DemoDb() : name_(unique_name("asyncpage_demo")) {
        Pg pg;
        pg.exec("CREATE DATABASE " + name_);
        dsn_ = test_dsn() + " dbname=" + name_;  // later keywords win
        const std::filesystem::path root(ASYNCPAGE_SOURCE_DIR);
        load(root / "sql/demo.sql");
        run_migrate(dsn_);  // the demo's functions call asyncpage.progress()
        load(root / "sql/demo_functions.sql");
    }
    ~DemoDb() {
        try {
            Pg pg;
            pg.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (const std::exception& e) {
            BOOST_TEST_MESSAGE("dropping " << name_ << ": " << e.what());
        }
    }
    const std::string& dsn() const { return dsn_; }

  private:
    void load(const std::filesystem::path& file) const {
        CommandResult r = run_command("psql -X -q -v ON_ERROR_STOP=1 -d " + shell_quote(dsn_) +
                                      " -f " + shell_quote(file.string()));
        BOOST_TEST_REQUIRE(r.status == 0, "loading " << file << " failed:\n" << r.output);
    }
    std::string name_;
    std::string dsn_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(browser)

BOOST_AUTO_TEST_CASE(wait_indicator_no_js_fallback_and_escaping_in_chromium) {
    run_browser_script("report_page.js");
}

BOOST_AUTO_TEST_CASE(job_wait_screen_progress_cancel_and_no_js_in_chromium) {
    run_browser_script("job_page.js");
}

// A job whose only worker is killed while the wait screen follows it: the screen
// says "attempt 2 of 3" live and then shows the result (job_attempt.js).
BOOST_AUTO_TEST_CASE(retried_job_shows_its_attempt_in_chromium) {
    own_site::ReportDir reports(own_site::Reports{
        {"attempt_probe",
         "-- title: Attempt probe\n-- job: true\n-- timeout: 60s\n\n-- section: rows\n"
         "SELECT g.i AS own_attempt_row FROM (SELECT pg_sleep(3)) AS s, "
         "generate_series(1, 3) AS g(i);\n"}});
    ServerOptions o;
    o.workers = 1;
    o.reports_dir = reports.path();
    Stack s(o);
    std::string id = own_site::create_job(s, "attempt_probe", "")["id"];
    pid_t worker = s.server().wait_workers(1)[0];
    std::string out = run_browser_script("job_attempt.js", &s, {id, std::to_string(worker)});
    BOOST_TEST(out.find("job_attempt: ok") != std::string::npos, out);
}

// A form on another origin posting to asyncpage (create a job, cancel one) is
// refused and stores nothing; the same form on asyncpage's page works.
BOOST_AUTO_TEST_CASE(cross_site_forms_are_refused_in_chromium) {
    Stack& s = e2e_stack();
    Pg pg(s.server().jobs_dsn());
    long long before = pg.scalar_int("SELECT count(*) FROM asyncpage.jobs");
    std::string out = run_browser_script("cross_origin.js");
    auto at = out.find("created ");
    BOOST_TEST_REQUIRE(at != std::string::npos, out);
    std::string id = out.substr(at + 8, 36);
    BOOST_TEST(pg.scalar_int("SELECT count(*) FROM asyncpage.jobs") == before + 1,
               "only the own form's job is stored");
    BOOST_TEST(pg.scalar("SELECT state FROM asyncpage.jobs WHERE id = '" + id + "'") != "cancelled",
               "the cross-site cancel went through");
}

// The demo's dashboard, orders and customer reports (sql/reports) on the demo's
// data: charts visible with axis labels and within a phone's width, headers sort
// numbers as numbers (click, Enter, Space), linked cells lead to the right
// report, no console error. With ASYNCPAGE_SCREENSHOTS=DIR it also leaves
// DIR/dashboard.png, the screenshot README shows (docs/dashboard.png).
BOOST_AUTO_TEST_CASE(demo_dashboard_charts_sorting_and_links_in_chromium) {
    DemoDb demo;
    ServerOptions o;
    o.workers = 1;
    o.dsn = demo.dsn();
    o.reports_dir = std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "sql/reports";
    Stack s(o);
    std::vector<std::string> args;
    if (const char* dir = std::getenv("ASYNCPAGE_SCREENSHOTS")) {
        args.push_back((std::filesystem::path(dir) / "dashboard.png").string());
    }
    run_browser_script("dashboard.js", &s, args);
}

BOOST_AUTO_TEST_SUITE_END()
