// `asyncpage check` and presentation lines: a chart, format or link line naming a
// column the section's query does not return is reported with its file and line
// (PostgreSQL describes the prepared section; nothing runs), and a report whose
// lines name real columns, params and all, passes. A javascript: link is refused
// when the file is read.
#include <boost/test/unit_test.hpp>

#include "support/cli.hpp"
#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/server.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

struct CheckSite {
    TempDir dir{"asyncpage-presentation-check"};
    std::filesystem::path reports = dir / "reports";
    std::filesystem::path config = dir / "asyncpage.toml";

    CheckSite() {
        std::filesystem::create_directories(reports);
        write_file(config, "listen = " + toml_string((dir / "s.sock").string()) +
                               "\ndsn = " + toml_string(test_dsn()) + "\nreports_dir = " +
                               toml_string(reports.string()) + "\nworkers = 1\n");
    }
    CliResult check() const {
        CliResult r = run_cli({server_binary(), "check", "--config", config.string()}, {}, 60s);
        BOOST_TEST_MESSAGE("asyncpage check exit " << r.exit_code << ":\n" << r.output);
        BOOST_TEST_REQUIRE(!r.timed_out, "check still running after 60 s");
        return r;
    }
};

// Columns of every type a chart can use; a param so the section needs its types.
const char* const kGood =
    "-- title: Good\n"                                                       // 1
    "-- param: since date default 2025-01-01\n"                              // 2
    "\n"                                                                     // 3
    "-- section: months\n"                                                   // 4
    "-- chart: line x=month y=revenue,orders\n"                              // 5
    "-- format: revenue money, month date\n"                                 // 6
    "-- link: month = /reports/orders?month={month}&c={customer_id}\n"       // 7
    "SELECT CAST(:since AS date) AS month, 12.5 AS revenue, 3 AS orders,\n"  // 8
    "       7 AS customer_id;\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(check_presentation)

BOOST_AUTO_TEST_CASE(lines_naming_real_columns_pass) {
    CheckSite site;
    write_file(site.reports / "good.sql", kGood);
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.output, "1 reports checked, 0 problems"));
}

BOOST_AUTO_TEST_CASE(a_column_the_query_does_not_return_is_reported_with_its_line) {
    CheckSite site;
    write_file(site.reports / "good.sql", kGood);
    write_file(site.reports / "typos.sql",
               "-- title: Typos\n"                                // 1
               "-- param: since date default 2025-01-01\n"        // 2
               "-- section: months\n"                             // 3
               "-- chart: line x=month y=revenue,ordrs\n"         // 4
               "-- format: revenu money\n"                        // 5
               "-- link: month = /reports/orders?c={customer}\n"  // 6
               "SELECT CAST(:since AS date) AS month, 12.5 AS revenue, 3 AS orders,\n"
               "       7 AS customer_id;\n"
               "-- section: fine\n"       // 9
               "-- chart: bar x=a y=b\n"  // 10
               "SELECT 'x' AS a, 1 AS b;\n"
               "-- section: nolink\n"                       // 12
               "-- link: nope = https://example.com/{b}\n"  // 13
               "SELECT 1 AS b;\n");
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 1);
    const std::string file = (site.reports / "typos.sql").string();
    BOOST_TEST(contains(r.output,
                        file + ":4: section months: chart: the query returns no column 'ordrs'"));
    BOOST_TEST(contains(r.output,
                        file + ":5: section months: format: the query returns no column 'revenu'"));
    BOOST_TEST(contains(r.output,
                        file + ":6: section months: link: the query returns no column 'customer'"));
    BOOST_TEST(
        contains(r.output, file + ":13: section nolink: link: the query returns no column 'nope'"));
    BOOST_TEST(contains(r.output, "2 reports checked, 4 problems"));
    BOOST_TEST(!contains(r.output, "good.sql:"), "the good report was blamed");
    BOOST_TEST(!contains(r.output, "section fine"), "the good section was blamed");
}

BOOST_AUTO_TEST_CASE(a_javascript_link_is_an_error) {
    CheckSite site;
    write_file(site.reports / "good.sql", kGood);
    write_file(site.reports / "evil.sql",
               "-- title: Evil\n"
               "-- section: s\n"
               "-- link: a = javascript:alert(1)\n"
               "SELECT 1 AS a;\n");
    CliResult r = site.check();
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.output, (site.reports / "evil.sql").string() +
                                      ":3: section 's': link: 'javascript:alert(1)': only "
                                      "relative URLs and http(s) URLs are allowed as links"));
}

BOOST_AUTO_TEST_SUITE_END()
