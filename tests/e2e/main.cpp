// End-to-end suite: HTML, JSON and CSV as a browser or script gets them through
// nginx from `asyncpage serve` on a real PostgreSQL 15. This file only defines the
// module; each *_test.cpp is one suite.
#define BOOST_TEST_MODULE e2e
#include <boost/test/unit_test.hpp>

#include "support/log_registry.hpp"

using support::GlobalSetup;
BOOST_TEST_GLOBAL_FIXTURE(GlobalSetup);
