// Pages in a real browser: runs the scripts in tests/browser (Debian's headless
// Chromium driven by playwright-core) against the e2e stack, through nginx. Each
// script asserts; a case fails when its script exits non-zero.
#include <sys/wait.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdio>
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
    std::string cmd = "node '" + (dir / script).string() + "' '" + s.url("") + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    BOOST_TEST_REQUIRE(p != nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p))
        out += buf.data();
    int status = ::pclose(p);
    BOOST_TEST_MESSAGE(script << " output:\n" << out);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), script << " failed:\n" << out);
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
