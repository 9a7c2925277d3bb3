// The CSV formula guard end to end (OWASP CSV injection): through nginx, a text
// value starting with = + - @ (or a tab / CR) arrives quoted with a leading ',
// plain numbers keep their sign, a value with ';' is quoted, other values and JSON
// stay as they were.
#include <boost/test/unit_test.hpp>

#include "support/csv.hpp"
#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

BOOST_AUTO_TEST_SUITE(csv_formula)

BOOST_AUTO_TEST_CASE(formula_values_are_neutralised_in_csv_only) {
    ReportDir reports(Reports{{"formulas",
                               "-- title: Formula values\n"
                               "\n"
                               "-- section: v\n"
                               "SELECT id, val, -5 AS n FROM (VALUES\n"
                               "    (1, '=HYPERLINK(\"http://x\",\"y\")'),\n"
                               "    (2, '+cmd|'' /C calc''!A0'),\n"
                               "    (3, '-2+3'),\n"
                               "    (4, '@SUM(A1:A2)'),\n"
                               "    (5, '-12.5'),\n"
                               "    (6, '+7'),\n"
                               "    (7, 'a=b'),\n"
                               "    (8, E'\\tTab'),\n"
                               "    (9, 'x;=1+2'),\n"
                               "    (10, (interval '-1 days')::text)\n"
                               ") AS t(id, val) ORDER BY id;\n"}});
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    Response r = s.get("/reports/formulas?format=csv&section=v");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    CsvParse p = parse_csv(r.body);
    BOOST_TEST_REQUIRE(p.error.empty(), p.error << " in:\n" << r.body);
    BOOST_TEST_REQUIRE(p.records.size() == 11u, r.body);
    struct Want {
        std::string value;
        bool quoted;
    };
    const std::vector<Want> want = {
        {"'=HYPERLINK(\"http://x\",\"y\")", true},
        {"'+cmd|' /C calc'!A0", true},
        {"'-2+3", true},
        {"'@SUM(A1:A2)", true},
        {"-12.5", false},
        {"+7", false},
        {"a=b", false},
        {"'\tTab", true},
        // Quoted, unchanged: Excel in a ';' locale would otherwise split it into a
        // formula cell.
        {"x;=1+2", true},
        // An interval's text starts with '-' and is not a plain number: guarded
        // (README, "Security"); JSON keeps it as it is.
        {"'-1 days", true},
    };
    for (size_t i = 0; i < want.size(); ++i) {
        const CsvRecord& rec = p.records[i + 1];
        BOOST_TEST_CONTEXT("row " << i + 1) {
            BOOST_TEST_REQUIRE(rec.size() == 3u);
            BOOST_TEST(rec[1].value == want[i].value);
            BOOST_TEST(rec[1].quoted == want[i].quoted);
            BOOST_TEST(rec[2].value == "-5", "a negative integer column was guarded");
        }
    }
    // JSON carries the raw values.
    auto page = parse_json(s.get("/reports/formulas?format=json"));
    auto rows = section(page, "v")["rows"];
    BOOST_TEST_REQUIRE(rows.size() == 10u);
    BOOST_TEST(rows[9][1] == "-1 days");
    BOOST_TEST(rows[0][1] == "=HYPERLINK(\"http://x\",\"y\")");
    BOOST_TEST(rows[3][1] == "@SUM(A1:A2)");
}

BOOST_AUTO_TEST_SUITE_END()
