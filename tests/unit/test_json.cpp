// render: json_page's exact shape and each column type's JSON form; json_error.
// nlohmann is the independent parser that checks the output is valid JSON.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "render/json.hpp"

using namespace asyncpage::model;
using namespace asyncpage::render;
using nlohmann::json;

namespace {

SectionResult ok_section(std::string name, Table t, double ms = 1) {
    SectionResult s;
    s.name = std::move(name);
    s.status = SectionStatus::Ok;
    s.elapsed_ms = ms;
    s.table = std::move(t);
    return s;
}

// The rows of a one-section page whose single column has type `oid`.
std::string rows_of(Oid oid, std::vector<std::optional<std::string>> values) {
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (auto& v : values)
        rows.push_back({v});
    PageResult p;
    p.report = "r";
    p.sections.push_back(ok_section("s", make_table({{"v", oid}}, rows)));
    std::string out = json_page(p, false);
    std::size_t b = out.find("\"rows\":");
    std::size_t e = out.rfind(",\"truncated\":false}]}");
    BOOST_REQUIRE(b != std::string::npos && e != std::string::npos);
    return out.substr(b + 7, e - b - 7);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_writer)

// A stored job result is written in pieces, its rows chunk by chunk: the pieces
// must give exactly json_page's text, for ok, error, cancelled and empty sections.
BOOST_AUTO_TEST_CASE(page_in_pieces_equals_json_page) {
    std::vector<ColumnSpec> cols = {{"id", 23}, {"name", 25}, {"at", 1184}};
    auto rows = [&](int from, int n) {
        std::vector<std::vector<std::optional<std::string>>> r;
        for (int i = from; i < from + n; ++i)
            r.push_back({std::to_string(i),
                         i % 2 ? std::optional<std::string>("x\"y") : std::nullopt,
                         "2024-01-01 10:00:00+00"});
        return r;
    };
    PageResult page;
    page.report = "r";
    page.status = PageStatus::Partial;
    page.elapsed_ms = 12.4;
    page.sections.push_back(ok_section("a", make_table(cols, rows(0, 5)), 3));
    SectionResult err;
    err.name = "b";
    err.status = SectionStatus::Error;
    err.sqlstate = "22012";
    err.message = "division by zero";
    page.sections.push_back(std::move(err));
    page.sections.push_back(ok_section("c", make_table(cols, {}), 1));
    SectionResult gone;
    gone.name = "d";
    gone.status = SectionStatus::Cancelled;
    gone.message = "the job was cancelled";
    page.sections.push_back(std::move(gone));

    std::string out;
    append_json_page_open(out, page);
    append_json_section_open(out, page.sections[0], cols, true);
    bool first = true;
    append_json_rows(out, make_table(cols, rows(0, 2)), first);  // two chunks
    append_json_rows(out, make_table(cols, rows(2, 3)), first);
    append_json_section_close(out, page.sections[0]);
    for (std::size_t i = 1; i < page.sections.size(); ++i) {
        append_json_section_open(out, page.sections[i], cols, false);
        append_json_section_close(out, page.sections[i]);
    }
    append_json_page_close(out);
    BOOST_TEST(out == json_page(page, false));
}

BOOST_AUTO_TEST_CASE(exact_shape_and_order) {
    PageResult p;
    p.report = "orders";
    p.status = PageStatus::Partial;
    p.elapsed_ms = 12.6;
    p.sections.push_back(ok_section(
        "totals", make_table({{"region", 25}, {"total", 1700}}, {{"north", "10.50"}}), 3.4));
    SectionResult err;
    err.name = "broken";
    err.status = SectionStatus::Error;
    err.elapsed_ms = 0.4;
    err.sqlstate = "42P01";
    err.message = "relation \"nope\" does not exist";
    p.sections.push_back(std::move(err));
    SectionResult slow;
    slow.name = "slow";
    slow.status = SectionStatus::Timeout;
    slow.elapsed_ms = 3000;
    slow.message = "cancelled at the deadline";
    p.sections.push_back(std::move(slow));
    SectionResult gone;
    gone.name = "gone";
    gone.status = SectionStatus::Cancelled;
    p.sections.push_back(std::move(gone));

    BOOST_TEST(
        json_page(p, false) ==
        R"({"report":"orders","status":"partial","elapsed_ms":13,"sections":[)"
        R"({"name":"totals","status":"ok","elapsed_ms":3,"columns":[{"name":"region","type":"text"},)"
        R"({"name":"total","type":"numeric"}],"rows":[["north","10.50"]],"truncated":false},)"
        R"({"name":"broken","status":"error","elapsed_ms":0,"columns":[],"rows":[],"truncated":false,)"
        R"("error":{"sqlstate":"42P01","message":"relation \"nope\" does not exist"}},)"
        R"({"name":"slow","status":"timeout","elapsed_ms":3000,"columns":[],"rows":[],)"
        R"("truncated":false,"message":"cancelled at the deadline"},)"
        R"({"name":"gone","status":"cancelled","elapsed_ms":0,"columns":[],"rows":[],)"
        R"("truncated":false}]})");
}

BOOST_AUTO_TEST_CASE(output_parses_and_keeps_section_order) {
    PageResult p;
    p.report = "r";
    for (const char* n : {"c", "a", "b"}) {
        p.sections.push_back(ok_section(n, make_table({{"x", 23}}, {{"1"}, {"2"}})));
    }
    json j = json::parse(json_page(p, false));
    BOOST_TEST(j["sections"].size() == 3u);
    BOOST_TEST(j["sections"][0]["name"] == "c");
    BOOST_TEST(j["sections"][1]["name"] == "a");
    BOOST_TEST(j["sections"][2]["name"] == "b");
    BOOST_TEST(j["sections"][2]["rows"] == json::parse("[[1],[2]]"));
    BOOST_TEST(!j["sections"][0].contains("error"));
    BOOST_TEST(!j["sections"][0].contains("message"));
    BOOST_TEST(!j["sections"][0].contains("trace"));
    BOOST_TEST(!j.contains("wait_ms"));
}

BOOST_AUTO_TEST_CASE(empty_page) {
    PageResult p;
    p.report = "none";
    p.status = PageStatus::Timeout;
    p.elapsed_ms = 5000.4;
    BOOST_TEST(json_page(p, false) ==
               R"({"report":"none","status":"timeout","elapsed_ms":5000,"sections":[]})");
    p.status = PageStatus::Unavailable;
    BOOST_TEST(json::parse(json_page(p, false))["status"] == "unavailable");
}

BOOST_AUTO_TEST_CASE(ok_section_without_rows) {
    PageResult p;
    p.report = "r";
    p.sections.push_back(ok_section("s", make_table({{"a", 23}}, {})));
    p.sections.push_back(ok_section("t", Table{}));
    BOOST_TEST(
        json_page(p, false) ==
        R"({"report":"r","status":"ok","elapsed_ms":0,"sections":[)"
        R"({"name":"s","status":"ok","elapsed_ms":1,"columns":[{"name":"a","type":"int4"}],"rows":[],)"
        R"("truncated":false},)"
        R"({"name":"t","status":"ok","elapsed_ms":1,"columns":[],"rows":[],"truncated":false}]})");
}

// max_rows cut the section: it stays ok, with the rows it kept (README, "JSON").
BOOST_AUTO_TEST_CASE(truncated_section) {
    PageResult p;
    p.report = "r";
    SectionResult cut = ok_section("cut", make_table({{"g", 23}}, {{"1"}, {"2"}}), 2);
    cut.truncated = true;
    p.sections.push_back(std::move(cut));
    p.sections.push_back(ok_section("whole", make_table({{"g", 23}}, {{"1"}, {"2"}}), 2));
    BOOST_TEST(
        json_page(p, false) ==
        R"({"report":"r","status":"ok","elapsed_ms":0,"sections":[)"
        R"({"name":"cut","status":"ok","elapsed_ms":2,"columns":[{"name":"g","type":"int4"}],)"
        R"("rows":[[1],[2]],"truncated":true},)"
        R"({"name":"whole","status":"ok","elapsed_ms":2,"columns":[{"name":"g","type":"int4"}],)"
        R"("rows":[[1],[2]],"truncated":false}]})");
}

BOOST_AUTO_TEST_CASE(integers) {
    BOOST_TEST(rows_of(23, {"0", "-1", "2147483647"}) == "[[0],[-1],[2147483647]]");
    BOOST_TEST(rows_of(21, {"-32768"}) == "[[-32768]]");
    BOOST_TEST(rows_of(20, {"9223372036854775807", "-9223372036854775808"}) ==
               "[[9223372036854775807],[-9223372036854775808]]");
    BOOST_TEST(rows_of(26, {"4294967295"}) == "[[4294967295]]");
    // Not an int64 (cannot come from PostgreSQL, but must still be valid JSON).
    BOOST_TEST(rows_of(20, {"9223372036854775808", "12abc", "", "007", "1.5"}) ==
               R"([["9223372036854775808"],["12abc"],[""],["007"],["1.5"]])");
    json j = json::parse(rows_of(20, {"9223372036854775807"}));
    BOOST_TEST(j[0][0].get<std::int64_t>() == 9223372036854775807LL);
}

BOOST_AUTO_TEST_CASE(floats) {
    BOOST_TEST(rows_of(701, {"1.5", "-0.25", "1e+300", "-1.2345678901234567e-300", "0", "-0"}) ==
               "[[1.5],[-0.25],[1e+300],[-1.2345678901234567e-300],[0],[-0]]");
    BOOST_TEST(rows_of(700, {"1.1", "3.4028235e+38"}) == "[[1.1],[3.4028235e+38]]");
    BOOST_TEST(rows_of(701, {"NaN", "Infinity", "-Infinity"}) ==
               R"([["NaN"],["Infinity"],["-Infinity"]])");
    BOOST_TEST(rows_of(700, {"NaN"}) == R"([["NaN"]])");
    json j = json::parse(rows_of(701, {"0.1"}));
    BOOST_TEST(j[0][0].is_number_float());
    BOOST_TEST(j[0][0].get<double>() == 0.1);
}

BOOST_AUTO_TEST_CASE(numeric_is_an_exact_string) {
    BOOST_TEST(rows_of(1700, {"10.50", "123456789012345678901234567890.000001", "NaN"}) ==
               R"([["10.50"],["123456789012345678901234567890.000001"],["NaN"]])");
}

BOOST_AUTO_TEST_CASE(booleans) {
    BOOST_TEST(rows_of(16, {"t", "f", std::nullopt}) == "[[true],[false],[null]]");
    BOOST_TEST(rows_of(16, {"true"}) == R"([["true"]])");
}

BOOST_AUTO_TEST_CASE(dates_and_timestamps) {
    BOOST_TEST(rows_of(1114, {"2024-01-01 10:00:00", "2024-02-29 23:59:59.123456"}) ==
               R"([["2024-01-01T10:00:00"],["2024-02-29T23:59:59.123456"]])");
    BOOST_TEST(rows_of(1184, {"2024-01-01 10:00:00+00", "2024-06-01 12:30:00.5+05:30"}) ==
               R"([["2024-01-01T10:00:00+00"],["2024-06-01T12:30:00.5+05:30"]])");
    BOOST_TEST(rows_of(1184, {"infinity", "-infinity", "0044-03-15 12:00:00+00:53:28 BC"}) ==
               R"([["infinity"],["-infinity"],["0044-03-15T12:00:00+00:53:28 BC"]])");
    BOOST_TEST(rows_of(1082, {"2024-01-01"}) == R"([["2024-01-01"]])");
    BOOST_TEST(rows_of(1083, {"10:00:00"}) == R"([["10:00:00"]])");
    BOOST_TEST(rows_of(1186, {"1 day 02:00:00"}) == R"([["1 day 02:00:00"]])");
    // A timestamp column holding odd text still yields valid JSON.
    BOOST_TEST(rows_of(1114, {"1 2\"\\"}) == R"([["1T2\"\\"]])");
}

BOOST_AUTO_TEST_CASE(json_and_jsonb_embedded) {
    BOOST_TEST(rows_of(3802, {R"({"a": 1.10, "b": [true, null], "c": "x"})"}) ==
               R"([[{"a": 1.10, "b": [true, null], "c": "x"}]])");
    BOOST_TEST(rows_of(114, {"[1, 2,\n 3]", "\"s\"", "12", "null"}) ==
               "[[[1, 2,\n 3]],[\"s\"],[12],[null]]");
    // Not valid JSON: kept as a string.
    BOOST_TEST(rows_of(114, {"{bad", "", "1 2"}) == R"([["{bad"],[""],["1 2"]])");
    // Invalid UTF-8 inside a json string: a string with U+FFFD.
    BOOST_TEST(rows_of(114, {"\"a\xFF\""}) == "[[\"\\\"a\xEF\xBF\xBD\\\"\"]]");
    json j = json::parse(rows_of(3802, {R"({"k": {"n": 123456789012345678901234567890}})"}));
    BOOST_TEST(j[0][0]["k"].is_object());
}

BOOST_AUTO_TEST_CASE(nulls_in_every_kind) {
    for (Oid oid : {16u, 20u, 701u, 1700u, 1114u, 3802u, 25u}) {
        BOOST_TEST(rows_of(oid, {std::nullopt}) == "[[null]]", "oid " << oid);
    }
    BOOST_TEST(rows_of(25, {""}) == R"([[""]])");
}

BOOST_AUTO_TEST_CASE(string_escaping) {
    BOOST_TEST(rows_of(25, {"quote\" back\\ slash/"}) == R"([["quote\" back\\ slash/"]])");
    BOOST_TEST(rows_of(25, {"\n\r\t\b\f"}) == R"([["\n\r\t\b\f"]])");
    BOOST_TEST(rows_of(25, {std::string("\x01\x1f\x7f", 3)}) == "[[\"\\u0001\\u001f\x7f\"]]");
    BOOST_TEST(rows_of(25, {std::string("a\0b", 3)}) == R"([["a\u0000b"]])");
    BOOST_TEST(rows_of(25, {"</script><!--"}) == R"([["</script><!--"]])");
    // Valid UTF-8 of every length passes through unchanged.
    std::string utf8 = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF";
    BOOST_TEST(rows_of(25, {utf8}) == "[[\"" + utf8 + "\"]]");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_replaced) {
    const std::string fffd = "\xEF\xBF\xBD";
    auto one = [&](std::string in) { return rows_of(25, {in}); };
    auto str = [&](std::string s) { return "[[\"" + s + "\"]]"; };
    BOOST_TEST(one("a\xFF"
                   "b") == str("a" + fffd + "b"));                          // never valid
    BOOST_TEST(one("\x80") == str(fffd));                                   // lone continuation
    BOOST_TEST(one("\xC3") == str(fffd));                                   // truncated at the end
    BOOST_TEST(one("\xC3(") == str(fffd + "("));                            // bad continuation
    BOOST_TEST(one("\xC0\xAF") == str(fffd + fffd));                        // overlong '/'
    BOOST_TEST(one("\xE0\x80\xAF") == str(fffd + fffd + fffd));             // overlong 3-byte
    BOOST_TEST(one("\xED\xA0\x80") == str(fffd + fffd + fffd));             // surrogate D800
    BOOST_TEST(one("\xF4\x90\x80\x80") == str(fffd + fffd + fffd + fffd));  // > U+10FFFF
    BOOST_TEST(one("\xE2\x82") == str(fffd));                               // truncated 3-byte
    BOOST_TEST(one("\xF0\x9F\x98") == str(fffd));                           // truncated 4-byte
    BOOST_TEST(one("\xE2\x82\"") == str(fffd + "\\\""));                    // escape right after
    // Names are strings too.
    PageResult p;
    p.report = "r\xFE";
    p.sections.push_back(ok_section("s\xC3", make_table({{"c\x80", 25}}, {})));
    BOOST_TEST(json_page(p, false) ==
               "{\"report\":\"r" + fffd +
                   "\",\"status\":\"ok\",\"elapsed_ms\":0,\"sections\":[{\"name\":\"s" + fffd +
                   "\",\"status\":\"ok\",\"elapsed_ms\":1,\"columns\":[{\"name\":\"c" + fffd +
                   "\",\"type\":\"text\"}],\"rows\":[],\"truncated\":false}]}");
}

BOOST_AUTO_TEST_CASE(random_bytes_match_nlohmann_replace) {
    // Whatever the bytes, the output parses (nlohmann checks UTF-8 strictly); valid
    // input survives unchanged, and invalid input is repaired exactly as nlohmann's
    // own error_handler_t::replace does it.
    std::uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
    static const unsigned char pool[] = {0x00, 0x1f, '"',  '\\', 'a',  0x7f, 0x80,
                                         0xbf, 0xc2, 0xc0, 0xe0, 0xed, 0xef, 0xf0,
                                         0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f, 0xff};
    int valid = 0, invalid = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string s;
        int len = static_cast<int>(next() % 10);
        for (int k = 0; k < len; ++k)
            s += static_cast<char>(pool[next() % sizeof pool]);
        json j;
        BOOST_REQUIRE_NO_THROW(j = json::parse(rows_of(25, {s})));
        std::string back = j[0][0].get<std::string>();
        std::string expected =
            json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace))
                .get<std::string>();
        BOOST_TEST(back == expected);
        (back == s ? valid : invalid)++;
    }
    BOOST_TEST(valid > 100);  // the pool makes both outcomes common
    BOOST_TEST(invalid > 100);
}

BOOST_AUTO_TEST_CASE(trace_fields) {
    PageResult p;
    p.report = "r";
    p.elapsed_ms = 20;
    p.wait_ms = 1.26;
    SectionResult a = ok_section("a", make_table({{"x", 23}}, {{"1"}}), 5);
    a.wait_ms = 1.26;
    a.begin_ms = 1.3;
    a.end_ms = 6.3;
    p.sections.push_back(std::move(a));
    SectionResult b;
    b.name = "b";
    b.status = SectionStatus::Timeout;
    b.wait_ms = 20;
    p.sections.push_back(std::move(b));
    BOOST_TEST(
        json_page(p, true) ==
        R"({"report":"r","status":"ok","elapsed_ms":20,"wait_ms":1.3,"sections":[)"
        R"({"name":"a","status":"ok","elapsed_ms":5,"columns":[{"name":"x","type":"int4"}],"rows":[[1]],)"
        R"("truncated":false,"trace":{"wait_ms":1.3,"begin_ms":1.3,"end_ms":6.3}},)"
        R"({"name":"b","status":"timeout","elapsed_ms":0,"columns":[],"rows":[],"truncated":false,)"
        R"("trace":{"wait_ms":20.0,"begin_ms":null,"end_ms":null}}]})");
}

BOOST_AUTO_TEST_CASE(errors) {
    BOOST_TEST(json_error(404, "no report \"x\"") ==
               R"({"error":{"status":404,"message":"no report \"x\""}})");
    BOOST_TEST(
        json_error(400, "lim: must be an integer between 1 and 10000", "lim") ==
        R"({"error":{"status":400,"message":"lim: must be an integer between 1 and 10000","param":"lim"}})");
    json j = json::parse(json_error(503, "bad \xFF byte"));
    BOOST_TEST(j["error"]["message"] == "bad \xEF\xBF\xBD byte");
}

BOOST_AUTO_TEST_CASE(append_json_string_literal) {
    std::string out = "x";
    append_json_string(out, "a\"b\n");
    BOOST_TEST(out == "x\"a\\\"b\\n\"");
}

BOOST_AUTO_TEST_SUITE_END()
