#define BOOST_TEST_MODULE asyncpage_unit
#include <boost/test/unit_test.hpp>
