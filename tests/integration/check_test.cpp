// `asyncpage check` accepts every report file the suites use: a typo in
// tests/reports shows up here with FILE:LINE instead of as a puzzling 404.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>

#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/server.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(reports)

BOOST_AUTO_TEST_CASE(test_reports_pass_check) {
    prepare_test_schema();
    migrate_test_db();  // job reports call asyncpage.progress
    TempDir dir("asyncpage-check");
    write_file(dir / "asyncpage.toml", "listen = " + toml_string((dir / "s.sock").string()) +
                                           "\ndsn = " + toml_string(test_dsn()) +
                                           "\nreports_dir = " + toml_string(reports_dir()) +
                                           "\nworkers = 1\n");
    std::string cmd = "env $(env | grep -o '^ASYNCPAGE_[A-Z_]*' | sed 's/^/-u /') '" +
                      server_binary() + "' check --config '" + (dir / "asyncpage.toml").string() +
                      "' 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    BOOST_TEST_REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p))
        out.append(buf, n);
    int status = pclose(p);
    BOOST_TEST_MESSAGE("asyncpage check: " << out);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "check failed:\n" << out);
}

BOOST_AUTO_TEST_SUITE_END()
