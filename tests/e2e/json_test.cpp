// JSON pages in DESIGN §3's exact shape: value types (ints as numbers, numeric as
// an exact string, bools, null, ISO 8601 dates and timestamps with 'T', text with
// quotes and unicode), column types, sections in file order, Accept negotiation,
// and the debug trace.
#include <boost/test/unit_test.hpp>
#include <set>

#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using nlohmann::json;

namespace {

// PostgreSQL's type name, in either spelling (pg_type.typname or format_type).
bool type_is(const json& column, std::set<std::string> names) {
    return column.contains("type") && column["type"].is_string() &&
           names.count(column["type"].get<std::string>()) != 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_output)

BOOST_AUTO_TEST_CASE(values_have_their_json_types) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/types?format=json");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    BOOST_TEST(contains(r.header("content-type"), "application/json"), r.header("content-type"));
    json j = parse_json(r);
    BOOST_TEST_MESSAGE("types page: " << r.body.substr(0, 1500));
    BOOST_TEST(j["report"] == "types");
    BOOST_TEST(j["status"] == "ok");
    BOOST_TEST(j["elapsed_ms"].is_number());

    // File order, although zeta (first) finishes last.
    BOOST_TEST_REQUIRE(j["sections"].is_array());
    std::vector<std::string> names = section_names(j);
    BOOST_TEST(names == (std::vector<std::string>{"zeta", "alpha", "middle"}),
               boost::test_tools::per_element());

    const json& z = section(j, "zeta");
    BOOST_TEST(z["status"] == "ok");
    BOOST_TEST(z["elapsed_ms"].is_number());
    const std::vector<std::string> cols = {"i",       "big", "num",      "f",  "yes", "no",
                                           "nothing", "day", "local_ts", "ts", "txt"};
    BOOST_TEST_REQUIRE(z["columns"].size() == cols.size());
    for (size_t k = 0; k < cols.size(); ++k)
        BOOST_TEST(z["columns"][k]["name"] == cols[k]);
    const json& c = z["columns"];
    BOOST_TEST(type_is(c[0], {"int4", "integer"}), c[0].dump());
    BOOST_TEST(type_is(c[1], {"int8", "bigint"}), c[1].dump());
    BOOST_TEST(type_is(c[2], {"numeric"}), c[2].dump());
    BOOST_TEST(type_is(c[3], {"float8", "double precision"}), c[3].dump());
    BOOST_TEST(type_is(c[4], {"bool", "boolean"}), c[4].dump());
    BOOST_TEST(type_is(c[7], {"date"}), c[7].dump());
    BOOST_TEST(type_is(c[8], {"timestamp", "timestamp without time zone"}), c[8].dump());
    BOOST_TEST(type_is(c[9], {"timestamptz", "timestamp with time zone"}), c[9].dump());
    BOOST_TEST(type_is(c[10], {"text"}), c[10].dump());

    BOOST_TEST_REQUIRE(z["rows"].size() == 1u);
    const json& row = z["rows"][0];
    BOOST_TEST_REQUIRE(row.size() == cols.size());
    BOOST_TEST(row[0].is_number_integer());
    BOOST_TEST(row[0] == 42);
    BOOST_TEST(row[1].is_number_integer());
    BOOST_TEST(row[1].get<long long>() == 9007199254740993LL, "bigint lost precision: " << row[1]);
    BOOST_TEST(row[2].is_string(), "numeric must be an exact string: " << row[2]);
    BOOST_TEST(row[2] == "12345678901234567890.123456789");
    BOOST_TEST(row[3].is_number_float());
    BOOST_TEST(row[3] == 1.5);
    BOOST_TEST(row[4].is_boolean());
    BOOST_TEST(row[4] == true);
    BOOST_TEST(row[5].is_boolean());
    BOOST_TEST(row[5] == false);
    BOOST_TEST(row[6].is_null());
    BOOST_TEST(row[7] == "2024-02-29");
    BOOST_TEST(row[8] == "2024-03-01T12:34:56");
    BOOST_TEST_REQUIRE(row[9].is_string());
    auto ts = iso8601_to_epoch_ms(row[9].get<std::string>());
    BOOST_TEST(ts.has_value(), "not ISO 8601 with 'T' and an offset: " << row[9]);
    BOOST_TEST(ts.value_or(0) == 1709296496789LL, "timestamptz is another instant: " << row[9]);
    BOOST_TEST(row[10] == "say \"hi\" \\ back\nslash \u00fcn\u00ef \u2713");

    const json& alpha = section(j, "alpha");
    BOOST_TEST(alpha["status"] == "ok");
    BOOST_TEST(alpha["rows"] == json::array());
    BOOST_TEST_REQUIRE(alpha["columns"].size() == 1u);
    BOOST_TEST(alpha["columns"][0]["name"] == "x");

    BOOST_TEST(section(j, "middle")["rows"] == json::parse("[[1],[2],[3]]"));
}

BOOST_AUTO_TEST_CASE(accept_header_selects_json) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/trivial", {"Accept: application/json"});
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(contains(r.header("content-type"), "application/json"), r.header("content-type"));
    json j = parse_json(r);
    BOOST_TEST(j["report"] == "trivial");
    BOOST_TEST(section(j, "one")["rows"] == json::parse("[[1]]"));
}

BOOST_AUTO_TEST_CASE(trace_shows_the_task_timeline) {
    Stack& s = e2e_stack();  // debug = true
    Response r = s.get("/reports/parallel3?format=json&trace=1");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    json j = parse_json(r);
    BOOST_TEST_REQUIRE(section_names(j) == (std::vector<std::string>{"a", "b", "c"}), r.body);
    for (const auto& sec : j["sections"]) {
        BOOST_TEST_REQUIRE(sec.contains("trace"), "no trace in " << sec.dump());
        const json& t = sec["trace"];
        BOOST_TEST_MESSAGE("trace of " << sec["name"] << ": " << t.dump());
        BOOST_TEST(t["wait_ms"].is_number());
        BOOST_TEST(t["begin_ms"].is_number());
        BOOST_TEST(t["end_ms"].is_number());
        double begin = t["begin_ms"].get<double>(), end = t["end_ms"].get<double>();
        BOOST_TEST(begin >= 0);
        BOOST_TEST(end - begin >= 450, "a 0.5 s section took " << end - begin << " ms");
        BOOST_TEST(begin < 450, "parallel sections must start together");
    }
    Response plain = s.get("/reports/trivial?format=json");
    BOOST_TEST(!section(parse_json(plain), "one").contains("trace"));
}

BOOST_AUTO_TEST_SUITE_END()
