// Integration suite: `asyncpage serve` against a real PostgreSQL 15
// (ASYNCPAGE_TEST_DSN) behind a private nginx. This file only defines the module;
// each *_test.cpp is one suite.
#define BOOST_TEST_MODULE integration
#include <boost/test/unit_test.hpp>

#include "support/log_registry.hpp"

using support::GlobalSetup;
BOOST_TEST_GLOBAL_FIXTURE(GlobalSetup);
