// Units of the config and report headers: durations and sizes, strict parsing.
#include <boost/test/unit_test.hpp>

#include "core/units.hpp"

using asyncpage::parse_duration;
using asyncpage::parse_size;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(units)

BOOST_AUTO_TEST_CASE(durations_with_every_unit) {
    BOOST_TEST(parse_duration("250ms").value() == milliseconds(250));
    BOOST_TEST(parse_duration("5s").value() == milliseconds(5000));
    BOOST_TEST(parse_duration("2m").value() == milliseconds(120000));
    BOOST_TEST(parse_duration("1h").value() == milliseconds(3600000));
    BOOST_TEST(parse_duration("1d").value() == milliseconds(86400000));
    BOOST_TEST(parse_duration("0s").value() == milliseconds(0));
}

BOOST_AUTO_TEST_CASE(bare_number_is_seconds) {
    BOOST_TEST(parse_duration("7").value() == milliseconds(7000));
    BOOST_TEST(parse_duration("0").value() == milliseconds(0));
}

BOOST_AUTO_TEST_CASE(duration_spacing_and_case) {
    BOOST_TEST(parse_duration(" 5s ").value() == milliseconds(5000));
    BOOST_TEST(parse_duration("5 s").value() == milliseconds(5000));
    BOOST_TEST(parse_duration("5MS").value() == milliseconds(5));
    BOOST_TEST(parse_duration("1H").value() == milliseconds(3600000));
}

BOOST_AUTO_TEST_CASE(fractional_durations_must_be_whole_milliseconds) {
    BOOST_TEST(parse_duration("1.5s").value() == milliseconds(1500));
    BOOST_TEST(parse_duration("0.25s").value() == milliseconds(250));
    BOOST_TEST(parse_duration("1.5h").value() == milliseconds(5400000));
    BOOST_TEST(parse_duration("2.000s").value() == milliseconds(2000));
    BOOST_TEST(parse_duration("1.0000000000000s").value() == milliseconds(1000));
    BOOST_TEST(!parse_duration("0.5ms"));
    BOOST_TEST(!parse_duration("1.0005s"));
    BOOST_TEST(!parse_duration("1.s"));
    BOOST_TEST(!parse_duration(".5s"));
}

BOOST_AUTO_TEST_CASE(malformed_durations) {
    for (const char* bad : {"", " ", "s", "ms", "-5s", "+5s", "5x", "5sec", "5 seconds", "5s5",
                            "1e3", "abc", "5,0s", "5ms ms", "0x10"}) {
        BOOST_TEST_INFO("input: '" << bad << "'");
        BOOST_TEST(!parse_duration(bad));
    }
}

BOOST_AUTO_TEST_CASE(overflowing_durations) {
    BOOST_TEST(!parse_duration("99999999999999999999s"));
    BOOST_TEST(!parse_duration("9223372036854775807s"));  // fits, but not in ms
    BOOST_TEST(!parse_duration("9999999999999999d"));
    std::string huge(400, '9');
    huge += "ms";  // (appending, not operator+, dodges a GCC 12 -Warray-bounds false positive)
    BOOST_TEST(!parse_duration(huge));
    BOOST_TEST(parse_duration("9223372036854775807ms").value().count() == 9223372036854775807LL);
}

BOOST_AUTO_TEST_CASE(sizes_with_units) {
    BOOST_TEST(parse_size("100B").value() == 100u);
    BOOST_TEST(parse_size("100").value() == 100u);
    BOOST_TEST(parse_size("0").value() == 0u);
    BOOST_TEST(parse_size("512KB").value() == 512u * 1024);
    BOOST_TEST(parse_size("1MB").value() == 1024u * 1024);
    BOOST_TEST(parse_size("1GB").value() == 1024u * 1024 * 1024);
    BOOST_TEST(parse_size("1k").value() == 1024u);
    BOOST_TEST(parse_size("2m").value() == 2u * 1024 * 1024);
    BOOST_TEST(parse_size("3G").value() == 3ull * 1024 * 1024 * 1024);
    BOOST_TEST(parse_size("1 mb").value() == 1024u * 1024);
    BOOST_TEST(parse_size("1MiB").value() == 1024u * 1024);
}

BOOST_AUTO_TEST_CASE(malformed_and_overflowing_sizes) {
    for (const char* bad : {"", "MB", "-1", "1TB", "1.5MB", "1 M B", "MB1", "1e6", "ten"}) {
        BOOST_TEST_INFO("input: '" << bad << "'");
        BOOST_TEST(!parse_size(bad));
    }
    BOOST_TEST(!parse_size("99999999999999999999"));
    BOOST_TEST(!parse_size("9223372036854775807GB"));
    BOOST_TEST(!parse_size(std::string(300, '1')));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(seconds)

BOOST_AUTO_TEST_CASE(format_seconds_is_exact_and_reads_back) {
    using asyncpage::format_seconds;
    BOOST_TEST(format_seconds(milliseconds(3000)) == "3");
    BOOST_TEST(format_seconds(milliseconds(250)) == "0.25");
    BOOST_TEST(format_seconds(milliseconds(1500)) == "1.5");
    BOOST_TEST(format_seconds(milliseconds(60005)) == "60.005");
    BOOST_TEST(format_seconds(milliseconds(0)) == "0");
    BOOST_TEST(format_seconds(milliseconds(1)) == "0.001");
    BOOST_TEST(format_seconds(milliseconds(-1500)) == "-1.5");
    // Twelve days: no exponent, no rounding (fmt's {:g} gave "1.0368e+06").
    BOOST_TEST(format_seconds(milliseconds(1036800123)) == "1036800.123");
    for (long long ms : {0LL, 1LL, 10LL, 999LL, 1000LL, 1234567LL, 86400000LL}) {
        BOOST_TEST(parse_duration(format_seconds(milliseconds(ms))).value() == milliseconds(ms),
                   ms);
    }
}

BOOST_AUTO_TEST_SUITE_END()
