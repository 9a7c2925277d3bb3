// Report pages in a real browser: runs tests/browser/report_page.js (Debian's
// headless Chromium driven by playwright-core) against the e2e stack, through
// nginx. The script asserts; this case fails when it exits non-zero.
#include <sys/wait.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "support/stacks.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(browser)

BOOST_AUTO_TEST_CASE(wait_indicator_no_js_fallback_and_escaping_in_chromium) {
    std::filesystem::path dir = std::filesystem::path(ASYNCPAGE_SOURCE_DIR) / "tests/browser";
    BOOST_TEST_REQUIRE(std::filesystem::exists(dir / "node_modules/playwright-core"),
                       "playwright-core is not installed: run scripts/setup --test");
    BOOST_TEST_REQUIRE(std::filesystem::exists("/usr/bin/chromium"),
                       "Debian's chromium is not installed: run scripts/setup --test");
    Stack& s = e2e_stack();
    std::string cmd = "node '" + (dir / "report_page.js").string() + "' '" + s.url("") + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    BOOST_TEST_REQUIRE(p != nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p))
        out += buf.data();
    int status = ::pclose(p);
    BOOST_TEST_MESSAGE("browser test output:\n" << out);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "browser checks failed:\n" << out);
}

BOOST_AUTO_TEST_SUITE_END()
