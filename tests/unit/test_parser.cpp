// Report files: header keys, params, sections, line numbers of every error kind,
// and load_reports over a temporary directory.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/parser.hpp"

using namespace asyncpage::reports;
using std::chrono::milliseconds;

namespace {

const milliseconds default_timeout{5000};

Report parse_ok(const std::string& text) {
    auto r = parse_report("rep", "rep.sql", text, default_timeout);
    if (auto* e = std::get_if<ParseError>(&r)) {
        BOOST_FAIL("unexpected parse error: " << e->to_string());
    }
    return std::get<Report>(std::move(r));
}

ParseError parse_err(const std::string& text) {
    auto r = parse_report("rep", "rep.sql", text, default_timeout);
    if (!std::holds_alternative<ParseError>(r)) BOOST_FAIL("expected a parse error for:\n" << text);
    return std::get<ParseError>(std::move(r));
}

// Error on `line` whose message contains `part`.
void expect_error(const std::string& text, int line, const std::string& part) {
    ParseError e = parse_err(text);
    BOOST_TEST_INFO("error: " << e.to_string());
    BOOST_TEST(e.line == line);
    BOOST_TEST(e.file == "rep.sql");
    BOOST_TEST(e.message.find(part) != std::string::npos);
}

const char* const full_example =
    "-- title: Orders by region\n"                                       // 1
    "-- description: Totals and the largest orders since a date.\n"      // 2
    "-- param: region text required maxlen 40\n"                         // 3
    "-- param: since date default 2024-01-01\n"                          // 4
    "-- param: lim int default 100 min 1 max 10000\n"                    // 5
    "-- param: kind enum(retail|wholesale | online) default 'online'\n"  // 6
    "-- timeout: 3s\n"                                                   // 7
    "-- parallel: false\n"                                               // 8
    "-- job: true\n"                                                     // 9
    "-- concurrency: 2\n"                                                // 10
    "\n"                                                                 // 11
    "-- section: totals\n"                                               // 12
    "SELECT region, sum(amount) AS total FROM orders WHERE created >= :since GROUP BY region;\n"
    "\n"                                                                                // 14
    "-- section: largest\n"                                                             // 15
    "SELECT id, customer, amount FROM orders\n"                                         // 16
    "WHERE region = :region AND kind = :kind::text ORDER BY amount DESC LIMIT :lim;\n"  // 17
    "\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(parser)

BOOST_AUTO_TEST_CASE(full_example_round_trip) {
    Report r = parse_ok(full_example);
    BOOST_TEST(r.name == "rep");
    BOOST_TEST(r.file == "rep.sql");
    BOOST_TEST(r.title == "Orders by region");
    BOOST_TEST(r.description == "Totals and the largest orders since a date.");
    BOOST_TEST(r.timeout == milliseconds(3000));
    BOOST_TEST(r.parallel == false);
    BOOST_TEST(r.job == true);
    BOOST_TEST(r.concurrency == 2);

    BOOST_TEST_REQUIRE(r.params.size() == 4u);
    BOOST_TEST(r.params[0].name == "region");
    BOOST_TEST((r.params[0].type == ParamType::Text));
    BOOST_TEST(r.params[0].required);
    BOOST_TEST(r.params[0].maxlen.value() == 40u);
    BOOST_TEST(!r.params[0].default_value);
    BOOST_TEST(r.params[0].line == 3);
    BOOST_TEST((r.params[1].type == ParamType::Date));
    BOOST_TEST(r.params[1].default_value.value() == "2024-01-01");
    BOOST_TEST(!r.params[1].required);
    BOOST_TEST((r.params[2].type == ParamType::Int));
    BOOST_TEST(r.params[2].default_value.value() == "100");
    BOOST_TEST(r.params[2].min.value() == "1");
    BOOST_TEST(r.params[2].max.value() == "10000");
    BOOST_TEST((r.params[3].type == ParamType::Enum));
    BOOST_TEST(
        r.params[3].enum_values == (std::vector<std::string>{"retail", "wholesale", "online"}),
        boost::test_tools::per_element());
    BOOST_TEST(r.params[3].default_value.value() == "online");
    BOOST_TEST(r.params[3].line == 6);

    BOOST_TEST_REQUIRE(r.sections.size() == 2u);
    BOOST_TEST(r.sections[0].name == "totals");
    BOOST_TEST(r.sections[0].line == 12);
    BOOST_TEST(
        r.sections[0].sql ==
        "SELECT region, sum(amount) AS total FROM orders WHERE created >= $1 GROUP BY region");
    BOOST_TEST(r.sections[0].param_index == (std::vector<std::size_t>{1}),
               boost::test_tools::per_element());
    BOOST_TEST(r.sections[1].name == "largest");
    BOOST_TEST(r.sections[1].line == 15);
    BOOST_TEST(r.sections[1].sql ==
               "SELECT id, customer, amount FROM orders\n"
               "WHERE region = $1 AND kind = $2::text ORDER BY amount DESC LIMIT $3");
    BOOST_TEST(r.sections[1].param_index == (std::vector<std::size_t>{0, 3, 2}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(defaults_when_header_is_minimal) {
    Report r = parse_ok("-- section: one\nSELECT 1\n");
    BOOST_TEST(r.title == "rep");  // the URL name stands in for a missing title
    BOOST_TEST(r.description.empty());
    BOOST_TEST(r.timeout == default_timeout);
    BOOST_TEST(r.parallel == true);
    BOOST_TEST(r.job == false);
    BOOST_TEST(r.concurrency == 0);
    BOOST_TEST(r.params.empty());
    BOOST_TEST_REQUIRE(r.sections.size() == 1u);
    BOOST_TEST(r.sections[0].sql == "SELECT 1");
    BOOST_TEST(r.sections[0].param_index.empty());
}

BOOST_AUTO_TEST_CASE(plain_comments_and_blank_lines_in_header) {
    Report r = parse_ok(
        "-- Orders report, maintained by the sales team\n"
        "--\n"
        "   \n"
        "-- see also: the wiki page\n"  // "see also" is no key: a comment
        "-- title : Spaced\n"
        "  -- description: indented\n"
        "-- section: s\n"
        "SELECT 1");
    BOOST_TEST(r.title == "Spaced");
    BOOST_TEST(r.description == "indented");
}

// README, "Report files": a `-- word: ...` line whose word is no header key is a
// comment; one within two letters of a key is a likely typo and carries a warning.
BOOST_AUTO_TEST_CASE(unknown_header_words_are_comments_and_near_misses_warn) {
    Report r = parse_ok(
        "-- title: T\n"        // 1
        "-- Author: bob\n"     // 2
        "-- colour: red\n"     // 3
        "-- tiemout: 3s\n"     // 4
        "-- Author: alice\n"   // 5: a comment may repeat
        "-- paralel: false\n"  // 6
        "-- section: s\n"
        "SELECT 1");
    BOOST_TEST(r.title == "T");
    BOOST_TEST(r.timeout == default_timeout, "the misspelt timeout must not apply");
    BOOST_TEST(r.parallel == true);
    BOOST_TEST_REQUIRE(r.warnings.size() == 2u);
    BOOST_TEST(r.warnings[0].to_string() ==
               "rep.sql:4: warning: 'tiemout' is not a header key, so this line is a comment; "
               "did you mean 'timeout'?");
    BOOST_TEST(r.warnings[1].line == 6);
    BOOST_TEST(r.warnings[1].message.find("'parallel'") != std::string::npos);
    BOOST_TEST(parse_ok("-- Author: bob\n-- section: s\nSELECT 1").warnings.empty());
}

BOOST_AUTO_TEST_CASE(crlf_and_bom) {
    Report r = parse_ok(
        "\xEF\xBB\xBF-- title: T\r\n-- param: a int\r\n-- section: s\r\nSELECT :a\r\n;\r\n");
    BOOST_TEST(r.title == "T");
    BOOST_TEST(r.sections[0].sql == "SELECT $1");
    expect_error("-- title: T\r\n-- section: s\r\nSELECT :zz\r\n", 3, ":zz");
}

BOOST_AUTO_TEST_CASE(header_keys_are_case_insensitive) {
    Report r = parse_ok("-- Title: X\n-- PARALLEL: FALSE\n-- Section: s\nSELECT 1");
    BOOST_TEST(r.title == "X");
    BOOST_TEST(r.parallel == false);
    BOOST_TEST(r.sections[0].name == "s");
}

BOOST_AUTO_TEST_CASE(section_sql_is_trimmed_and_trailing_semicolons_dropped) {
    Report r =
        parse_ok("-- section: s\n\n\n  SELECT 1  ;  \n;\n\n-- section: t\nSELECT 2 -- done\n");
    BOOST_TEST(r.sections[0].sql == "SELECT 1");
    BOOST_TEST(r.sections[1].sql == "SELECT 2 -- done");
}

BOOST_AUTO_TEST_CASE(same_param_in_several_sections) {
    Report r = parse_ok(
        "-- param: a int\n-- param: b int\n"
        "-- section: one\nSELECT :b, :a, :b\n"
        "-- section: two\nSELECT :a\n");
    BOOST_TEST(r.sections[0].sql == "SELECT $1, $2, $1");
    BOOST_TEST(r.sections[0].param_index == (std::vector<std::size_t>{1, 0}),
               boost::test_tools::per_element());
    BOOST_TEST(r.sections[1].sql == "SELECT $1");
    BOOST_TEST(r.sections[1].param_index == (std::vector<std::size_t>{0}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(param_types_and_modifiers) {
    Report r = parse_ok(
        "-- param: t text maxlen 5 default \"a b\"\n"
        "-- param: i int min -5 max 5\n"
        "-- param: g bigint default -9223372036854775808\n"
        "-- param: n numeric min 0.5 max 10 default 1.25\n"
        "-- param: b bool default YES\n"
        "-- param: d date min 2020-02-29\n"
        "-- param: ts timestamp default '2024-01-01T10:00'\n"
        "-- param: e enum(x) required\n"
        "-- param: Mixed_Case1 TEXT\n"
        "-- param: q text default ''\n"
        "-- section: s\nSELECT 1");
    BOOST_TEST_REQUIRE(r.params.size() == 10u);
    BOOST_TEST(r.params[0].default_value.value() == "a b");
    BOOST_TEST(r.params[1].min.value() == "-5");
    BOOST_TEST(r.params[2].default_value.value() == "-9223372036854775808");
    BOOST_TEST((r.params[3].type == ParamType::Numeric));
    BOOST_TEST(r.params[3].min.value() == "0.5");
    BOOST_TEST(r.params[4].default_value.value() == "true");
    BOOST_TEST(r.params[5].min.value() == "2020-02-29");
    BOOST_TEST(r.params[6].default_value.value() == "2024-01-01 10:00:00");
    BOOST_TEST(r.params[7].required);
    BOOST_TEST((r.params[8].type == ParamType::Text));
    BOOST_TEST(r.params[8].name == "Mixed_Case1");
    BOOST_TEST(r.params[9].default_value.value() == "");
}

BOOST_AUTO_TEST_CASE(header_errors_with_their_lines) {
    expect_error("-- title: a\n\n-- title: b\n-- section: s\nSELECT 1", 3,
                 "twice (first on line 1)");
    expect_error("-- title:\n-- section: s\nSELECT 1", 1, "empty");
    expect_error("-- timeout: soon\n-- section: s\nSELECT 1", 1, "timeout");
    expect_error("-- timeout: 0s\n-- section: s\nSELECT 1", 1, "timeout");
    expect_error("-- timeout: -1s\n-- section: s\nSELECT 1", 1, "timeout");
    // Beyond PostgreSQL's statement_timeout range (2^31-1 ms): refused, not clamped.
    expect_error("-- title: t\n-- timeout: 30d\n-- section: s\nSELECT 1", 2,
                 "timeout: '30d' is longer than 24d");
    expect_error("-- timeout: 2073600001ms\n-- section: s\nSELECT 1", 1, "longer than 24d");
    expect_error("\n-- parallel: yes\n-- section: s\nSELECT 1", 2, "true or false");
    expect_error("-- job: 1\n-- section: s\nSELECT 1", 1, "true or false");
    expect_error("-- concurrency: 0\n-- section: s\nSELECT 1", 1, "concurrency");
    expect_error("-- concurrency: 2x\n-- section: s\nSELECT 1", 1, "concurrency");
    expect_error("-- concurrency: 99999999999\n-- section: s\nSELECT 1", 1, "concurrency");
    expect_error("-- title: x\nSELECT 1\n-- section: s\nSELECT 1", 2, "before the first");
}

// retries: runs of a job after a lost worker or host; without it job_retries decides (-1).
BOOST_AUTO_TEST_CASE(retries_header) {
    BOOST_TEST(parse_ok("-- section: s\nSELECT 1").retries == -1);
    BOOST_TEST(parse_ok("-- retries: 0\n-- section: s\nSELECT 1").retries == 0);
    BOOST_TEST(parse_ok("-- retries: 5\n-- section: s\nSELECT 1").retries == 5);
    expect_error("-- retries: -1\n-- section: s\nSELECT 1", 1,
                 "retries: expected a whole number from 0 to 100, got '-1'");
    expect_error("-- retries: 101\n-- section: s\nSELECT 1", 1, "retries");
    expect_error("-- retries: two\n-- section: s\nSELECT 1", 1, "retries");
}

// max_rows: caps a section's rows in HTML and JSON; without it the config decides (0).
BOOST_AUTO_TEST_CASE(max_rows_header) {
    BOOST_TEST(parse_ok("-- section: s\nSELECT 1").max_rows == 0);
    BOOST_TEST(parse_ok("-- max_rows: 5\n-- section: s\nSELECT 1").max_rows == 5);
    BOOST_TEST(parse_ok("-- MAX_ROWS: 1\n-- section: s\nSELECT 1").max_rows == 1);
    expect_error("-- title: t\n-- max_rows: 0\n-- section: s\nSELECT 1", 2,
                 "max_rows: expected a whole number >= 1, got '0'");
    expect_error("-- max_rows: -3\n-- section: s\nSELECT 1", 1, "max_rows");
    expect_error("-- max_rows: 10k\n-- section: s\nSELECT 1", 1, "max_rows");
    expect_error("-- max_rows: 2.5\n-- section: s\nSELECT 1", 1, "max_rows");
    expect_error("-- max_rows:\n-- section: s\nSELECT 1", 1, "max_rows");
    expect_error("-- max_rows: 99999999999\n-- section: s\nSELECT 1", 1, "max_rows");
    expect_error("-- max_rows: 5\n-- max_rows: 6\n-- section: s\nSELECT 1", 2, "twice");
}

BOOST_AUTO_TEST_CASE(param_errors_with_their_lines) {
    const std::string tail = "\n-- section: s\nSELECT 1";
    auto param_error = [&](const std::string& decl, const std::string& part) {
        expect_error("-- title: t\n-- param: " + decl + tail, 2, part);
    };
    param_error("1abc int", "name");
    param_error("a-b int", "name");
    param_error("", "name");
    param_error("x", "missing type");
    param_error("x integer", "unknown type 'integer'");
    param_error("x enum", "parentheses");
    param_error("x enum(a|)", "empty value");
    param_error("x enum(a|b|a)", "listed twice");
    param_error("x int frobnicate", "unknown modifier 'frobnicate'");
    param_error("x int required required", "twice");
    param_error("x int required default 3", "exclude");
    param_error("x int default", "missing value");
    param_error("x text default 'open", "unterminated");
    param_error("x text maxlen 0", "maxlen");
    param_error("x text maxlen ten", "maxlen");
    param_error("x int maxlen 5", "maxlen applies to text");
    param_error("x text min 1", "min/max apply");
    param_error("x bool max 1", "min/max apply");
    param_error("x enum(a|b) min a", "min/max apply");
    param_error("x int min abc", "min must be an integer");
    param_error("x date max 2023-02-29", "max must be a date");
    param_error("x int min 10 max 1", "greater than max");
    param_error("x int default 0 min 1", "default must be an integer >= 1");
    param_error("x int default 11 max 10", "default");
    param_error("x int default 3000000000", "default");
    param_error("x text maxlen 2 default abc", "at most 2 characters");
    param_error("x enum(a|b) default c", "one of a, b");
    param_error("x bool default maybe", "true or false");
    param_error("format text", "reserved");
    param_error("section int", "reserved");
    expect_error("-- param: a int\n-- param: b int\n-- param: a text" + tail, 3,
                 "declared twice (first on line 1)");
}

BOOST_AUTO_TEST_CASE(section_errors_with_their_lines) {
    expect_error("-- title: t\n", 1, "no '-- section");
    expect_error("-- title: t\n-- other\n\n", 3, "no '-- section");
    expect_error("", 1, "no '-- section");
    expect_error("-- section: s\n\n  \n-- section: t\nSELECT 1", 1, "no SQL");
    expect_error("-- section: s\nSELECT 1\n-- section: t\n-- only a comment\n;\n", 3, "no SQL");
    expect_error("-- section: s\nSELECT 1\n-- section: s\nSELECT 2", 3,
                 "defined twice (first on line 1)");
    expect_error("-- section: 2nd\nSELECT 1", 1, "identifier");
    expect_error("-- section:\nSELECT 1", 1, "identifier");
    expect_error("-- section: two words\nSELECT 1", 1, "identifier");
}

BOOST_AUTO_TEST_CASE(placeholder_errors_count_file_lines) {
    expect_error(
        "-- param: a int\n"    // 1
        "-- section: s\n"      // 2
        "\n"                   // 3
        "SELECT :a,\n"         // 4
        "  'x:y', -- :nope\n"  // 5
        "  :missing\n",        // 6
        6, "placeholder :missing names no declared param");
    expect_error(
        "-- param: a int\n"    // 1
        "-- section: s\n"      // 2
        "SELECT :a\n"          // 3
        "-- section: t\n"      // 4
        "\n\n"                 // 5, 6
        "SELECT\n"             // 7
        "/* :x\n :y */ :A\n",  // 8, 9: names are case-sensitive
        9, ":A");
}

BOOST_AUTO_TEST_CASE(positional_params_are_rejected) {
    expect_error("-- section: s\nSELECT 1,\n $1", 3, "use :name placeholders");
    parse_ok("-- section: s\nSELECT '$1', \"$2\", $$ $3 $$, a$1 FROM t");
}

BOOST_AUTO_TEST_CASE(copy_is_not_a_section) {
    expect_error("-- section: s\n-- export\n  copy (SELECT 1) TO STDOUT\n", 3, "COPY cannot run");
    expect_error("-- section: s\n/* x */ COPY t TO STDOUT", 2, "write the query as a SELECT");
    parse_ok("-- section: s\nSELECT copy FROM copy_log");
    parse_ok("-- section: s\nWITH c AS (SELECT 1) SELECT * FROM c");
    parse_ok("-- section: s\ncopy_things()");
}

BOOST_AUTO_TEST_CASE(one_statement_per_section) {
    expect_error("-- section: s\nSELECT 1;\nSELECT 2;\n", 2, "one statement");
    parse_ok("-- section: s\nSELECT ';' ; -- trailing comment\n");
    parse_ok("-- section: s\nDO $$ BEGIN PERFORM 1; PERFORM 2; END $$;\n");
}

BOOST_AUTO_TEST_CASE(unterminated_literals_are_errors_at_their_start) {
    expect_error("-- section: s\nSELECT 1,\n'abc\n\n", 3, "unterminated string literal");
    expect_error("-- section: s\nSELECT /* a\n", 2, "unterminated comment");
    expect_error("-- section: s\nSELECT 1\n-- section: t\nSELECT $f$ x\n-- section: u\nSELECT $f$",
                 4, "unterminated dollar-quoted string");
    expect_error("-- section: s\nSELECT \"abc", 2, "unterminated quoted identifier");
}

BOOST_AUTO_TEST_CASE(comment_headers_after_first_section_are_sql) {
    Report r = parse_ok("-- section: s\n-- title: not a header\nSELECT 1");
    BOOST_TEST(r.title == "rep");
    BOOST_TEST(r.sections[0].sql == "-- title: not a header\nSELECT 1");
}

BOOST_AUTO_TEST_CASE(error_to_string) {
    BOOST_TEST((ParseError{"a/b.sql", 7, "boom"}.to_string()) == "a/b.sql:7: boom");
    BOOST_TEST((ParseError{"a/b.sql", 0, "unreadable"}.to_string()) == "a/b.sql: unreadable");
}

BOOST_AUTO_TEST_CASE(garbage_input_does_not_throw) {
    std::string junk;
    for (int i = 0; i < 3000; ++i)
        junk += static_cast<char>((i * 131 + 7) % 256);
    BOOST_CHECK_NO_THROW(parse_report("x", "x.sql", junk, default_timeout));
    BOOST_CHECK_NO_THROW(parse_report("x", "x.sql", "-- section: s\n" + junk, default_timeout));
    BOOST_CHECK_NO_THROW(parse_report("x", "x.sql", "-- param:" + junk, default_timeout));
}

// ---------------------------------------------------------------------------

namespace {
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() /
               ("asyncpage-unit-reports-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name, std::ios::binary) << text;
    }
};
}  // namespace

BOOST_AUTO_TEST_CASE(load_reports_from_directory) {
    TempDir dir;
    dir.write("b-report.sql", "-- title: B\n-- section: s\nSELECT 1\n");
    dir.write("a_report.sql", "-- title: A\n-- timeout: 2s\n-- section: s\nSELECT 2\n");
    dir.write("broken.sql", "-- title: x\n-- timeout: soon\n-- section: s\nSELECT 1\n");
    dir.write("bad name.sql", "-- section: s\nSELECT 1\n");
    dir.write("notes.txt", "not a report");
    dir.write(".#a_report.sql", "editor lock file");
    std::filesystem::create_directory(dir.path / "sub.sql");  // a directory: skipped

    ReportSet set = load_reports(dir.path.string(), default_timeout);
    BOOST_TEST_REQUIRE(set.reports.size() == 2u);
    BOOST_TEST(set.reports.at("a_report").title == "A");
    BOOST_TEST(set.reports.at("a_report").timeout == milliseconds(2000));
    BOOST_TEST(set.reports.at("a_report").file == (dir.path / "a_report.sql").string());
    BOOST_TEST(set.reports.at("b-report").timeout == default_timeout);
    BOOST_TEST_REQUIRE(set.errors.size() == 2u);
    // Sorted by file name: "bad name.sql" before "broken.sql".
    BOOST_TEST(set.errors[0].file == (dir.path / "bad name.sql").string());
    BOOST_TEST(set.errors[0].line == 0);
    BOOST_TEST(set.errors[0].message.find("[A-Za-z0-9_-]") != std::string::npos);
    BOOST_TEST(set.errors[1].file == (dir.path / "broken.sql").string());
    BOOST_TEST(set.errors[1].line == 2);
}

BOOST_AUTO_TEST_CASE(load_reports_missing_dir) {
    ReportSet set = load_reports("/nonexistent/asyncpage/reports", default_timeout);
    BOOST_TEST(set.reports.empty());
    BOOST_TEST_REQUIRE(set.errors.size() == 1u);
    BOOST_TEST(set.errors[0].line == 0);
    BOOST_TEST(set.errors[0].file == "/nonexistent/asyncpage/reports");
}

namespace {
// What a ReportSet says about one unreadable file, as text a child process can pass
// back: "REPORTS ERRORS LINE MESSAGE".
std::string summary(const ReportSet& set) {
    std::string out = std::to_string(set.reports.size()) + " " + std::to_string(set.errors.size());
    if (!set.errors.empty())
        out += " " + std::to_string(set.errors[0].line) + " " + set.errors[0].message;
    return out;
}

// load_reports as a user who may not read a file mode 000. Root (CI runs as root)
// reads everything, so then a child process drops to nobody (65534) first.
std::string load_unprivileged(const std::string& dir) {
    if (::geteuid() != 0) return summary(load_reports(dir, default_timeout));
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(2);
        std::string out = summary(load_reports(dir, default_timeout));
        ssize_t n = ::write(fds[1], out.data(), out.size());
        ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 3);
    }
    ::close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_TEST_REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0),
                       "the unprivileged child failed: status " << status);
    return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(load_reports_unreadable_file) {
    TempDir dir;
    dir.write("secret.sql", "-- section: s\nSELECT 1\n");
    std::filesystem::permissions(dir.path / "secret.sql", std::filesystem::perms::none);
    // The directory itself stays readable for the unprivileged user.
    std::filesystem::permissions(
        dir.path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                      std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                      std::filesystem::perms::others_exec);
    std::string got = load_unprivileged(dir.path.string());
    BOOST_TEST_MESSAGE("unreadable file: " << got);
    // No report, one error on line 0 saying why.
    BOOST_TEST(got.rfind("0 1 0 cannot read: Permission denied", 0) == 0u, got);
}

BOOST_AUTO_TEST_SUITE_END()
