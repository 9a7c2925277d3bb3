// Which statements may share a connection: known fast after 16 timed runs, at
// most one of the last 64 over the limit, and a slow spell that leaves the
// window forgotten.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "pg/statement_speeds.hpp"

using asyncpage::pg::StatementSpeeds;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(statement_speeds)

BOOST_AUTO_TEST_CASE(fast_only_after_enough_runs_under_the_limit) {
    StatementSpeeds speeds(5ms);
    BOOST_TEST(!speeds.fast("a"));
    for (std::size_t i = 1; i < StatementSpeeds::kMinRuns; ++i)
        speeds.record("a", 1ms);
    BOOST_TEST(!speeds.fast("a"));  // 15 runs: not known yet
    speeds.record("a", 1ms);
    BOOST_TEST(speeds.fast("a"));
    BOOST_TEST(!speeds.fast("b"));  // per statement
    speeds.record("a", 5ms);        // at the limit is not over it
    BOOST_TEST(speeds.fast("a"));
}

BOOST_AUTO_TEST_CASE(one_slow_run_in_the_window_is_the_99th_percentile_two_are_not) {
    StatementSpeeds speeds(5ms);
    for (int i = 0; i < 20; ++i)
        speeds.record("a", 1ms);
    speeds.record("a", 3s);
    BOOST_TEST(speeds.fast("a"));
    speeds.record("a", 6ms);
    BOOST_TEST(!speeds.fast("a"));
    // 63 fast runs later the first slow one has left the window of 64; one more
    // and the second has too.
    for (int i = 0; i < 62; ++i)
        speeds.record("a", 1ms);
    BOOST_TEST(!speeds.fast("a"));
    speeds.record("a", 1ms);
    BOOST_TEST(speeds.fast("a"));
}

BOOST_AUTO_TEST_CASE(slow_from_the_start_never_shares) {
    StatementSpeeds speeds(5ms);
    for (int i = 0; i < 100; ++i)
        speeds.record("slow", 10ms);
    BOOST_TEST(!speeds.fast("slow"));
}

BOOST_AUTO_TEST_SUITE_END()
