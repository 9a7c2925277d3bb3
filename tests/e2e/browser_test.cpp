// Pages in a real browser: runs the scripts in tests/browser (Debian's headless
// Chromium driven by playwright-core) against the e2e stack, through nginx. Each
// script asserts; a case fails when its script exits non-zero.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "support/stacks.hpp"

using namespace support;

namespace {

// Runs `node tests/browser/SCRIPT BASE_URL` and fails the case when it exits non-zero;
// its output (timings, or the failed assertion) goes to the test log either way.
void run_browser_script(const std::string& script) {
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
}

}  // namespace

BOOST_AUTO_TEST_SUITE(browser)

BOOST_AUTO_TEST_CASE(wait_indicator_no_js_fallback_and_escaping_in_chromium) {
    run_browser_script("report_page.js");
}

BOOST_AUTO_TEST_CASE(job_wait_screen_progress_cancel_and_no_js_in_chromium) {
    run_browser_script("job_page.js");
}

BOOST_AUTO_TEST_SUITE_END()
