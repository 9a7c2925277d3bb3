// model::Table over PGresults built by make_table; type names and JSON kinds.
// No database: PQmakeEmptyPGresult results stand in for query results.
#include <boost/test/unit_test.hpp>

#include "model/table.hpp"
#include "render/json.hpp"

using namespace asyncpage::model;
using asyncpage::render::json_kind;
using asyncpage::render::JsonKind;

namespace {
PgResultPtr part(std::vector<std::optional<std::string>> values) {
    // One int4 column "n", one row per value, as a bare PGresult for Table::append.
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (auto& v : values)
        rows.push_back({v});
    PgResultPtr res(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
    PGresAttDesc d{};
    d.name = const_cast<char*>("n");
    d.typid = 23;
    d.typlen = 4;
    d.atttypmod = -1;
    BOOST_REQUIRE(PQsetResultAttrs(res.get(), 1, &d));
    for (std::size_t r = 0; r < values.size(); ++r) {
        const auto& v = values[r];
        BOOST_REQUIRE(PQsetvalue(res.get(), static_cast<int>(r), 0,
                                 v ? const_cast<char*>(v->c_str()) : nullptr,
                                 v ? static_cast<int>(v->size()) : -1));
    }
    return res;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(table)

BOOST_AUTO_TEST_CASE(make_table_values_nulls_and_empty) {
    Table t = make_table({{"id", 23}, {"name", 25}, {"note", 25}},
                         {{"1", "alice", std::nullopt}, {"2", "", "x,y"}});
    BOOST_TEST(!t.empty());
    BOOST_TEST(t.columns() == 3u);
    BOOST_TEST(t.rows() == 2u);
    BOOST_TEST(t.column_name(0) == "id");
    BOOST_TEST(t.column_name(2) == "note");
    BOOST_TEST(t.column_type(0) == 23u);
    BOOST_TEST(t.column_type(1) == 25u);
    BOOST_TEST(t.value(0, 1) == "alice");
    BOOST_TEST(t.is_null(0, 2));
    BOOST_TEST(t.value(0, 2) == "");
    BOOST_TEST(!t.is_null(1, 1));  // '' is not NULL
    BOOST_TEST(t.value(1, 1) == "");
    BOOST_TEST(t.value(1, 2) == "x,y");
}

BOOST_AUTO_TEST_CASE(values_with_embedded_bytes) {
    std::string v = "a\nb\"c\xFF";
    Table t = make_table({{"v", 25}}, {{v}});
    BOOST_TEST(t.value(0, 0) == v);
}

BOOST_AUTO_TEST_CASE(no_rows_keeps_columns) {
    Table t = make_table({{"a", 20}, {"b", 1700}}, {});
    BOOST_TEST(!t.empty());
    BOOST_TEST(t.columns() == 2u);
    BOOST_TEST(t.rows() == 0u);
    BOOST_TEST(t.column_name(1) == "b");
}

BOOST_AUTO_TEST_CASE(default_table_is_empty) {
    Table t;
    BOOST_TEST(t.empty());
    BOOST_TEST(t.columns() == 0u);
    BOOST_TEST(t.rows() == 0u);
}

BOOST_AUTO_TEST_CASE(row_width_mismatch_throws) {
    BOOST_CHECK_THROW(make_table({{"a", 23}}, {{"1", "2"}}), std::invalid_argument);
    BOOST_CHECK_THROW(make_table({{"a", 23}, {"b", 23}}, {{"1"}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(rows_across_parts) {
    Table t(part({"0", "1"}));
    t.append(part({}));  // an empty part in the middle (single-row mode ends with one)
    t.append(part({"2"}));
    t.append(nullptr);  // ignored
    t.append(part({std::nullopt, "4", "5"}));
    t.append(part({}));
    BOOST_TEST(t.rows() == 6u);
    BOOST_TEST(t.columns() == 1u);
    BOOST_TEST(t.value(0, 0) == "0");
    BOOST_TEST(t.value(1, 0) == "1");
    BOOST_TEST(t.value(2, 0) == "2");
    BOOST_TEST(t.is_null(3, 0));
    BOOST_TEST(!t.is_null(4, 0));
    BOOST_TEST(t.value(4, 0) == "4");
    BOOST_TEST(t.value(5, 0) == "5");
}

// Single-row mode: each row's PGresult is copied into one result the table grows,
// then freed; values, NULLs, '' and the columns survive, also with no row at all.
BOOST_AUTO_TEST_CASE(append_rows_copies_into_one_part) {
    Table t;
    t.append_rows(part({"10"}));
    t.append_rows(part({std::nullopt}));
    t.append_rows(part({""}));
    t.append_rows(part({"13", "14"}));
    t.append_rows(part({}));  // the closing TUPLES_OK
    t.append_rows(nullptr);   // ignored
    BOOST_TEST(t.rows() == 5u);
    BOOST_TEST(t.columns() == 1u);
    BOOST_TEST(t.column_name(0) == "n");
    BOOST_TEST(t.column_type(0) == 23u);
    BOOST_TEST(t.value(0, 0) == "10");
    BOOST_TEST(t.is_null(1, 0));
    BOOST_TEST(!t.is_null(2, 0));
    BOOST_TEST(t.value(2, 0) == "");
    BOOST_TEST(t.value(3, 0) == "13");
    BOOST_TEST(t.value(4, 0) == "14");

    Table none;
    none.append_rows(part({}));  // a query without rows still has its columns
    BOOST_TEST(!none.empty());
    BOOST_TEST(none.columns() == 1u);
    BOOST_TEST(none.rows() == 0u);

    // After a kept part, copied rows follow it.
    Table mixed(part({"1"}));
    mixed.append_rows(part({"2"}));
    mixed.append_rows(part({"3"}));
    mixed.append(part({"4"}));
    mixed.append_rows(part({"5"}));
    BOOST_TEST(mixed.rows() == 5u);
    for (std::size_t r = 0; r < 5; ++r)
        BOOST_TEST(mixed.value(r, 0) == std::to_string(r + 1));
}

BOOST_AUTO_TEST_CASE(type_names) {
    const std::pair<Oid, std::string_view> known[] = {
        {16, "bool"},       {17, "bytea"},       {18, "char"},          {19, "name"},
        {20, "int8"},       {21, "int2"},        {23, "int4"},          {25, "text"},
        {26, "oid"},        {114, "json"},       {142, "xml"},          {700, "float4"},
        {701, "float8"},    {1042, "bpchar"},    {1043, "varchar"},     {1082, "date"},
        {1083, "time"},     {1114, "timestamp"}, {1184, "timestamptz"}, {1186, "interval"},
        {1266, "timetz"},   {1700, "numeric"},   {2950, "uuid"},        {3802, "jsonb"},
        {1007, "_int4"},    {1009, "_text"},     {1016, "_int8"},       {1022, "_float8"},
        {1231, "_numeric"}, {1015, "_varchar"},  {1000, "_bool"},
    };
    for (auto [oid, name] : known)
        BOOST_TEST(type_name(oid) == name, "oid " << oid);
    BOOST_TEST(type_name(0) == "unknown");
    BOOST_TEST(type_name(22) == "unknown");
    BOOST_TEST(type_name(99999) == "unknown");
}

BOOST_AUTO_TEST_CASE(json_kinds) {
    for (Oid oid : {20u, 21u, 23u, 26u, 700u, 701u}) {
        BOOST_TEST((json_kind(oid) == JsonKind::Number), "oid " << oid);
    }
    BOOST_TEST((json_kind(16) == JsonKind::Bool));
    BOOST_TEST((json_kind(1114) == JsonKind::Timestamp));
    BOOST_TEST((json_kind(1184) == JsonKind::Timestamp));
    BOOST_TEST((json_kind(114) == JsonKind::Raw));
    BOOST_TEST((json_kind(3802) == JsonKind::Raw));
    for (Oid oid : {1700u, 25u, 1082u, 1083u, 1186u, 2950u, 1007u, 17u, 0u}) {
        BOOST_TEST((json_kind(oid) == JsonKind::String), "oid " << oid);
    }
}

BOOST_AUTO_TEST_SUITE_END()
