// Pages in a real browser: runs the scripts in tests/browser (Debian's headless
// Chromium driven by playwright-core) against the e2e stack, through nginx. Each
// script asserts; a case fails when its script exits non-zero.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "support/pg.hpp"
#include "support/stacks.hpp"

using namespace support;

namespace {

// Runs `node tests/browser/SCRIPT BASE_URL` and fails the case when it exits non-zero;
// its output (timings, or the failed assertion) goes to the test log either way.
std::string run_browser_script(const std::string& script) {
    std::filesystem::path dir = std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "tests/browser";
    BOOST_TEST_REQUIRE(std::filesystem::exists(dir / "node_modules/playwright-core"),
                       "playwright-core is not installed: run scripts/setup --test");
    BOOST_TEST_REQUIRE(std::filesystem::exists("/usr/bin/chromium"),
                       "Debian's chromium is not installed: run scripts/setup --test");
    Stack& s = e2e_stack();
    // The environment stays: node and Chromium need nothing of ASYNCPAGE_*, but a
    // developer's NODE_* or proxy settings must reach them.
    CommandResult r =
        run_command("node " + shell_quote((dir / script).string()) + " " + shell_quote(s.url("")),
                    /*strip_asyncpage_env=*/false);
    BOOST_TEST_MESSAGE(script << " output:\n" << r.output);
    BOOST_TEST(r.status == 0, script << " failed:\n" << r.output);
    return r.output;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(browser)

BOOST_AUTO_TEST_CASE(wait_indicator_no_js_fallback_and_escaping_in_chromium) {
    run_browser_script("report_page.js");
}

BOOST_AUTO_TEST_CASE(job_wait_screen_progress_cancel_and_no_js_in_chromium) {
    run_browser_script("job_page.js");
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

BOOST_AUTO_TEST_SUITE_END()
