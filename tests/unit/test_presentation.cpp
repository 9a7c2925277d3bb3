// Presentation lines in report files: `-- chart:`, `-- format:`, `-- link:` after
// a section line, their errors with file and line, the URL rule (relative or
// http(s) only), and the columns they name (what `check` compares with the query's).
#include <boost/test/unit_test.hpp>

#include "reports/parser.hpp"

using namespace asyncpage::reports;

namespace {

Report parse_ok(const std::string& text) {
    auto r = parse_report("rep", "rep.sql", text, std::chrono::milliseconds(5000));
    if (auto* e = std::get_if<ParseError>(&r)) {
        BOOST_FAIL("unexpected parse error: " << e->to_string());
    }
    return std::get<Report>(std::move(r));
}

void expect_error(const std::string& text, int line, const std::string& part) {
    auto r = parse_report("rep", "rep.sql", text, std::chrono::milliseconds(5000));
    BOOST_TEST_REQUIRE(std::holds_alternative<ParseError>(r), "expected an error for:\n" << text);
    const ParseError& e = std::get<ParseError>(r);
    BOOST_TEST_INFO("error: " << e.to_string());
    BOOST_TEST(e.file == "rep.sql");
    BOOST_TEST(e.line == line);
    BOOST_TEST(e.message.find(part) != std::string::npos);
}

std::string section(const std::string& lines) {
    return "-- title: t\n-- section: s\n" + lines + "SELECT 1 AS a, 2 AS b\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(presentation)

BOOST_AUTO_TEST_CASE(chart_format_and_link_lines_after_a_section) {
    Report r = parse_ok(
        "-- title: Months\n"
        "-- section: months\n"                        // 2
        "-- chart: line x=month y=revenue, orders\n"  // 3
        "-- A plain comment between them.\n"          // 4
        "-- chart: BAR x = region y = revenue\n"      // 5
        "-- format: revenue money, orders number:0, share percent, size bytes\n"
        "-- format: created datetime, day date, note raw\n"                  // 7
        "-- link: customer = /reports/customer?id={customer_id}&n={name}\n"  // 8
        "-- link: site = https://example.com/s/{id}\n"                       // 9
        "SELECT 1\n"
        "-- section: other\n"
        "SELECT 2\n");
    const Presentation& p = r.sections[0].presentation;
    BOOST_TEST_REQUIRE(p.charts.size() == 2u);
    BOOST_TEST((p.charts[0].kind == ChartKind::Line));
    BOOST_TEST(p.charts[0].x == "month");
    BOOST_TEST((p.charts[0].y == std::vector<std::string>{"revenue", "orders"}));
    BOOST_TEST(p.charts[0].line == 3);
    BOOST_TEST((p.charts[1].kind == ChartKind::Bar));
    BOOST_TEST(p.charts[1].x == "region");
    BOOST_TEST((p.charts[1].y == std::vector<std::string>{"revenue"}));
    BOOST_TEST_REQUIRE(p.formats.size() == 7u);
    BOOST_TEST((p.format_of("revenue")->kind == FormatKind::Money));
    BOOST_TEST((p.format_of("orders")->kind == FormatKind::Number));
    BOOST_TEST(p.format_of("orders")->decimals == 0);
    BOOST_TEST(p.format_of("revenue")->decimals == -1);
    BOOST_TEST((p.format_of("share")->kind == FormatKind::Percent));
    BOOST_TEST((p.format_of("size")->kind == FormatKind::Bytes));
    BOOST_TEST((p.format_of("created")->kind == FormatKind::Datetime));
    BOOST_TEST((p.format_of("day")->kind == FormatKind::Date));
    BOOST_TEST((p.format_of("note")->kind == FormatKind::Raw));
    BOOST_TEST(p.format_of("note")->line == 7);
    BOOST_TEST(p.format_of("nope") == nullptr);
    BOOST_TEST_REQUIRE(p.links.size() == 2u);
    const ColumnLink* l = p.link_of("customer");
    BOOST_TEST_REQUIRE(l != nullptr);
    BOOST_TEST(l->url == "/reports/customer?id={customer_id}&n={name}");
    BOOST_TEST_REQUIRE(l->parts.size() == 4u);
    BOOST_TEST(!l->parts[0].placeholder);
    BOOST_TEST(l->parts[0].text == "/reports/customer?id=");
    BOOST_TEST(l->parts[1].placeholder);
    BOOST_TEST(l->parts[1].text == "customer_id");
    BOOST_TEST(l->parts[2].text == "&n=");
    BOOST_TEST(l->parts[3].text == "name");
    BOOST_TEST(p.link_of("site")->line == 9);
    // The lines stay in the SQL as the comments they are; the other section has none.
    BOOST_TEST(r.sections[0].sql.find("SELECT 1") != std::string::npos);
    BOOST_TEST(r.sections[1].presentation.empty());
}

BOOST_AUTO_TEST_CASE(malformed_lines_name_their_line) {
    expect_error(section("-- chart: area x=a y=b\n"), 3, "unknown kind 'area'");
    expect_error(section("-- chart: line y=b\n"), 3, "x=COLUMN is missing");
    expect_error(section("-- chart: line x=a\n"), 3, "y=COLUMN is missing");
    expect_error(section("-- chart: line x=a y=b z=c\n"), 3, "got 'z=c'");
    expect_error(section("-- chart: line x=a x=b y=b\n"), 3, "x= is given twice");
    expect_error(section("-- chart: pie x=a y=b,c\n"), 3, "exactly one y column");
    expect_error(section("-- chart: line x=a y=b,,c\n"), 3, "column names separated by commas");
    expect_error(section("-- chart:\n"), 3, "chart: expected");
    expect_error(section("-- format: a\n"), 3, "expected 'COLUMN KIND");
    expect_error(section("-- format: a currency\n"), 3, "unknown kind 'currency'");
    expect_error(section("-- format: a money:2\n"), 3, "only number takes decimals");
    expect_error(section("-- format: a number:x\n"), 3, "number:D");
    expect_error(section("-- format: a number:13\n"), 3, "number:D");
    expect_error(section("-- format: a number, a money\n"), 3, "given a format twice");
    expect_error(section("-- format: a number\n-- format: a money\n"), 4, "given a format twice");
    expect_error(section("-- link: a\n"), 3, "expected 'COLUMN = URL'");
    expect_error(section("-- link: a = /x?id={b\n"), 3, "expected {COLUMN}");
    expect_error(section("-- link: a = /x?id={}\n"), 3, "expected {COLUMN}");
    expect_error(section("-- link: a = /x?id=b}\n"), 3, "'}' without '{'");
    expect_error(section("-- link: a = /x\n-- link: a = /y\n"), 4, "given a link twice");
}

// Elsewhere (the header, inside the SQL) such a line is a comment, as any other
// `-- word:` line there; `check` warns, since it was probably meant.
BOOST_AUTO_TEST_CASE(misplaced_lines_are_comments_with_a_warning) {
    Report r = parse_ok(
        "-- title: t\n"
        "-- link: see the wiki\n"  // 2
        "-- section: s\n"
        "-- format: a money\n"  // 4
        "SELECT to_char(now(), 'YYYY-MM') AS a\n"
        "-- format: YYYY-MM, as the month column reads\n"  // 6
        "-- chart: line x=a y=b\n");                       // 7
    const Presentation& p = r.sections[0].presentation;
    BOOST_TEST(p.formats.size() == 1u);
    BOOST_TEST(p.charts.empty());
    BOOST_TEST_REQUIRE(r.warnings.size() == 3u);
    BOOST_TEST(r.warnings[0].line == 2);
    BOOST_TEST(r.warnings[0].message.find("go after a '-- section: NAME' line") !=
               std::string::npos);
    BOOST_TEST(r.warnings[1].line == 6);
    BOOST_TEST(r.warnings[1].message.find("between the section line and its SQL") !=
               std::string::npos);
    BOOST_TEST(r.warnings[2].line == 7);
    BOOST_TEST(r.sections[0].sql.find("-- chart: line") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(links_are_relative_or_http) {
    for (const char* ok :
         {"/reports/customer?id={id}", "customer?id={id}", "?id={id}", "#{id}", "./x/{id}", "../up",
          "http://example.com/{id}", "HTTPS://example.com/a?b={id}", "https://{host}/x",
          "/a:b/{id}", "/x?t=12:30"}) {
        BOOST_TEST_CONTEXT(ok) {
            Report r = parse_ok(section(std::string("-- link: a = ") + ok + "\n"));
            BOOST_TEST(r.sections[0].presentation.link_of("a")->url == ok);
        }
    }
    for (const char* bad :
         {"javascript:alert(1)", "JavaScript:alert({id})", "data:text/html,x",
          "mailto:x@example.com", "ftp://example.com/", "http:/x", "https:example.com", "{id}",
          "{scheme}:alert(1)", "java{x}script:alert(1)", "vbscript:x"}) {
        BOOST_TEST_CONTEXT(bad) {
            expect_error(section(std::string("-- link: a = ") + bad + "\n"), 3, "link: ");
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_columns_lists_every_name_the_query_lacks) {
    Report r = parse_ok(
        "-- section: s\n"
        "-- chart: line x=month y=revenue,orderz\n"            // 2
        "-- format: revenue money, totl number\n"              // 3
        "-- link: customer = /c?id={customer_id}&r={regio}\n"  // 4
        "-- link: nam = /n\n"                                  // 5
        "SELECT 1\n");
    const Presentation& p = r.sections[0].presentation;
    std::vector<std::string> cols = {"month", "revenue", "orders", "customer", "customer_id"};
    auto problems = unknown_columns(p, cols);
    BOOST_TEST_REQUIRE(problems.size() == 4u);
    BOOST_TEST(problems[0].first == 2);
    BOOST_TEST(problems[0].second == "chart: the query returns no column 'orderz'");
    BOOST_TEST(problems[1].first == 3);
    BOOST_TEST(problems[1].second == "format: the query returns no column 'totl'");
    BOOST_TEST(problems[2].first == 4);
    BOOST_TEST(problems[2].second == "link: the query returns no column 'regio'");
    BOOST_TEST(problems[3].first == 5);
    BOOST_TEST(problems[3].second == "link: the query returns no column 'nam'");
    cols.insert(cols.end(), {"orderz", "totl", "regio", "nam"});
    BOOST_TEST(unknown_columns(p, cols).empty());
}

BOOST_AUTO_TEST_SUITE_END()
