// `asyncpage check` accepts every report file the suites use: a typo in
// tests/reports shows up here with FILE:LINE instead of as a puzzling 404.
#include <boost/test/unit_test.hpp>

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
    CommandResult r = run_command(shell_quote(server_binary()) + " check --config " +
                                  shell_quote((dir / "asyncpage.toml").string()));
    BOOST_TEST_MESSAGE("asyncpage check: " << r.output);
    BOOST_TEST(r.status == 0, "check failed:\n" << r.output);
}

BOOST_AUTO_TEST_SUITE_END()
