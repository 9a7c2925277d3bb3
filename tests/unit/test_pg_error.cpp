// SQLSTATE classification shared by pages, jobs and the pool, and the OIDs params
// are bound as (checked against pg_type.dat's numbers, not the named constants).
#include <boost/test/unit_test.hpp>

#include "model/pg_error.hpp"
#include "model/table.hpp"
#include "reports/sql_types.hpp"

using namespace asyncpage;

BOOST_AUTO_TEST_SUITE(pg_error)

BOOST_AUTO_TEST_CASE(unavailable_is_class_08_and_shutdowns) {
    using model::sqlstate::is_unavailable;
    for (const char* s : {"08000", "08003", "08006", "08001", "57P01", "57P02", "57P03"})
        BOOST_TEST(is_unavailable(s), s);
    for (const char* s : {"57014", "42P01", "0A000", "57P04", "", "0", "80006"})
        BOOST_TEST(!is_unavailable(s), s);
}

BOOST_AUTO_TEST_CASE(schema_missing) {
    using model::sqlstate::is_schema_missing;
    BOOST_TEST(is_schema_missing("42P01"));
    BOOST_TEST(is_schema_missing("3F000"));
    BOOST_TEST(!is_schema_missing("42P02"));
    BOOST_TEST(!is_schema_missing("08006"));
}

BOOST_AUTO_TEST_CASE(error_field_of_a_result_without_one_is_empty) {
    model::PgResultPtr res(PQmakeEmptyPGresult(nullptr, PGRES_FATAL_ERROR));
    BOOST_TEST_REQUIRE(res != nullptr);
    BOOST_TEST(model::error_field(res.get(), PG_DIAG_SQLSTATE) == "");
}

BOOST_AUTO_TEST_CASE(param_types_bind_as_their_builtin_oids) {
    using reports::param_type_oid;
    using reports::ParamType;
    BOOST_TEST(param_type_oid(ParamType::Int) == 23u);
    BOOST_TEST(param_type_oid(ParamType::Bigint) == 20u);
    BOOST_TEST(param_type_oid(ParamType::Numeric) == 1700u);
    BOOST_TEST(param_type_oid(ParamType::Bool) == 16u);
    BOOST_TEST(param_type_oid(ParamType::Date) == 1082u);
    BOOST_TEST(param_type_oid(ParamType::Timestamp) == 1114u);
    BOOST_TEST(param_type_oid(ParamType::Text) == 0u);  // inferred by the server
    BOOST_TEST(param_type_oid(ParamType::Enum) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
