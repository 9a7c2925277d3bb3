// render: CSV fields, rows, header, the formula guard and the error record.
// Outputs are compared byte for byte, CRLFs included.
#include <boost/test/unit_test.hpp>

#include "render/csv.hpp"

using namespace asyncpage::model;
using namespace asyncpage::render;

namespace {
std::string field(std::string_view v, bool is_null = false) {
    std::string out;
    append_csv_field(out, v, is_null);
    return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(csv)

BOOST_AUTO_TEST_CASE(plain_fields_unquoted) {
    BOOST_TEST(field("abc") == "abc");
    BOOST_TEST(field("hello world") == "hello world");
    BOOST_TEST(field(" padded ") == " padded ");
    BOOST_TEST(field("caf\xC3\xA9") == "caf\xC3\xA9");
    BOOST_TEST(field("it's") == "it's");
    BOOST_TEST(field("a=b") == "a=b");  // only a leading = is a formula
}

// Excel in locales whose list separator is ';' splits unquoted fields there.
BOOST_AUTO_TEST_CASE(semicolons_are_quoted) {
    BOOST_TEST(field("x;=HYPERLINK(\"http://x\")") == "\"x;=HYPERLINK(\"\"http://x\"\")\"");
    BOOST_TEST(field("a;b") == "\"a;b\"");
    BOOST_TEST(field("-1 days") == "\"'-1 days\"");  // guarded: not a plain number
}

BOOST_AUTO_TEST_CASE(null_and_empty) {
    BOOST_TEST(field("", true) == "");
    BOOST_TEST(field("ignored", true) == "");
    BOOST_TEST(field("") == "\"\"");
}

BOOST_AUTO_TEST_CASE(quoting) {
    BOOST_TEST(field("a,b") == "\"a,b\"");
    BOOST_TEST(field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    BOOST_TEST(field("\"") == "\"\"\"\"");
    BOOST_TEST(field("line1\nline2") == "\"line1\nline2\"");
    BOOST_TEST(field("a\r\nb") == "\"a\r\nb\"");
    BOOST_TEST(field("x\r") == "\"x\r\"");
}

BOOST_AUTO_TEST_CASE(formula_guard) {
    BOOST_TEST(field("=1+2") == "\"'=1+2\"");
    BOOST_TEST(field("+1+cmd") == "\"'+1+cmd\"");
    BOOST_TEST(field("-2+3") == "\"'-2+3\"");
    BOOST_TEST(field("@SUM(A1)") == "\"'@SUM(A1)\"");
    BOOST_TEST(field("\tx") == "\"'\tx\"");
    BOOST_TEST(field("\rx") == "\"'\rx\"");
    BOOST_TEST(field("=HYPERLINK(\"http://x\",\"y\")") ==
               "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    BOOST_TEST(field("-") == "\"'-\"");
    BOOST_TEST(field("+") == "\"'+\"");
    BOOST_TEST(field("-.") == "\"'-.\"");
    BOOST_TEST(field("-1e") == "\"'-1e\"");
    BOOST_TEST(field("-12.5x") == "\"'-12.5x\"");
    BOOST_TEST(field("-Infinity") == "\"'-Infinity\"");
    BOOST_TEST(field("-1 days") == "\"'-1 days\"");
}

BOOST_AUTO_TEST_CASE(numbers_not_guarded) {
    BOOST_TEST(field("-12.5") == "-12.5");
    BOOST_TEST(field("-3") == "-3");
    BOOST_TEST(field("+7") == "+7");
    BOOST_TEST(field("-0.5") == "-0.5");
    BOOST_TEST(field("-.5") == "-.5");
    BOOST_TEST(field("-5.") == "-5.");
    BOOST_TEST(field("-1.5e-10") == "-1.5e-10");
    BOOST_TEST(field("-2E+3") == "-2E+3");
    BOOST_TEST(field("42") == "42");
}

BOOST_AUTO_TEST_CASE(table_header_and_rows) {
    Table t = make_table({{"id", 23}, {"name", 25}, {"note, \"quoted\"", 25}, {"=f", 25}},
                         {{"1", "alice", std::nullopt, "-4"},
                          {"2", "", "multi\nline", "=cmd"},
                          {std::nullopt, std::nullopt, std::nullopt, std::nullopt}});
    std::string out;
    append_csv_header(out, t);
    append_csv_rows(out, t);
    BOOST_TEST(out ==
               "id,name,\"note, \"\"quoted\"\"\",\"'=f\"\r\n"
               "1,alice,,-4\r\n"
               "2,\"\",\"multi\nline\",\"'=cmd\"\r\n"
               ",,,\r\n");
}

BOOST_AUTO_TEST_CASE(pgresult_overloads_match_table) {
    auto t = make_table({{"a", 25}, {"b", 701}}, {{"x,y", "-1.5"}, {std::nullopt, ""}});
    // The PGresult form is what the streaming path uses; build one the same way.
    PgResultPtr res(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
    PGresAttDesc d[2]{};
    d[0].name = const_cast<char*>("a");
    d[0].typid = 25;
    d[1].name = const_cast<char*>("b");
    d[1].typid = 701;
    BOOST_REQUIRE(PQsetResultAttrs(res.get(), 2, d));
    BOOST_REQUIRE(PQsetvalue(res.get(), 0, 0, const_cast<char*>("x,y"), 3));
    BOOST_REQUIRE(PQsetvalue(res.get(), 0, 1, const_cast<char*>("-1.5"), 4));
    BOOST_REQUIRE(PQsetvalue(res.get(), 1, 0, nullptr, -1));
    BOOST_REQUIRE(PQsetvalue(res.get(), 1, 1, const_cast<char*>(""), 0));
    std::string from_result, from_table;
    append_csv_header(from_result, res.get());
    append_csv_rows(from_result, res.get());
    append_csv_header(from_table, t);
    append_csv_rows(from_table, t);
    BOOST_TEST(from_result == "a,b\r\n\"x,y\",-1.5\r\n,\"\"\r\n");
    BOOST_TEST(from_table == from_result);
}

BOOST_AUTO_TEST_CASE(no_rows_is_header_only) {
    std::string out;
    Table t = make_table({{"only", 25}}, {});
    append_csv_header(out, t);
    append_csv_rows(out, t);
    BOOST_TEST(out == "only\r\n");
}

BOOST_AUTO_TEST_CASE(error_record) {
    std::string out = "a\r\n1\r\n";
    append_csv_error(out, "57014", "canceling statement due to statement timeout");
    BOOST_TEST(out == "a\r\n1\r\n#ERROR,57014,canceling statement due to statement timeout\r\n");
    out.clear();
    append_csv_error(out, "42P01", "relation \"x\" does not exist,\nsee log");
    BOOST_TEST(out == "#ERROR,42P01,\"relation \"\"x\"\" does not exist,\nsee log\"\r\n");
    out.clear();
    append_csv_error(out, "", "=evil()");
    BOOST_TEST(out == "#ERROR,\"\",\"'=evil()\"\r\n");
}

BOOST_AUTO_TEST_CASE(rows_appended_one_result_at_a_time) {
    // Streaming path: one single-row result at a time into one buffer.
    std::string out;
    for (int i = 0; i < 1000; ++i) {
        Table t = make_table({{"n", 23}}, {{std::to_string(i)}});
        append_csv_rows(out, t);
    }
    BOOST_TEST(out.substr(0, 9) == "0\r\n1\r\n2\r\n");
    BOOST_TEST(out.size() == 10 * 3 + 90 * 4 + 900 * 5);
}

BOOST_AUTO_TEST_SUITE_END()
