// The `cache:` header line (README, "Report files"): whole seconds up to 24 days;
// anything else is an error with its line.
#include <boost/test/unit_test.hpp>

#include "reports/parser.hpp"

using namespace asyncpage::reports;

namespace {

std::variant<Report, ParseError> parse(const std::string& header) {
    return parse_report("rep", "rep.sql", header + "\n-- section: s\nSELECT 1;\n",
                        std::chrono::milliseconds(5000));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cache_header)

BOOST_AUTO_TEST_CASE(durations_in_whole_seconds) {
    auto none = parse("-- title: t");
    BOOST_TEST_REQUIRE(std::holds_alternative<Report>(none));
    BOOST_TEST(std::get<Report>(none).cache.count() == 0);
    for (auto [text, seconds] : std::vector<std::pair<std::string, long>>{
             {"60s", 60}, {"5m", 300}, {"1h", 3600}, {"1000ms", 1}, {"24d", 24L * 86400}}) {
        auto r = parse("-- cache: " + text);
        BOOST_TEST_REQUIRE(std::holds_alternative<Report>(r), text);
        BOOST_TEST(std::get<Report>(r).cache.count() == seconds, text);
    }
}

BOOST_AUTO_TEST_CASE(bad_values_are_errors_with_their_line) {
    for (std::string bad : {"", "0s", "500ms", "1500ms", "soon", "25d", "-5s"}) {
        auto r = parse("-- title: t\n-- cache: " + bad);
        BOOST_TEST_REQUIRE(std::holds_alternative<ParseError>(r), "'" << bad << "'");
        const auto& e = std::get<ParseError>(r);
        BOOST_TEST(e.line == 2);
        BOOST_TEST(e.message.find("cache:") != std::string::npos, e.message);
    }
    auto twice = parse("-- cache: 5s\n-- cache: 6s");
    BOOST_TEST(std::holds_alternative<ParseError>(twice));
}

BOOST_AUTO_TEST_SUITE_END()
