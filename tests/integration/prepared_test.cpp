// Report sections run as named prepared statements (PostgreSQL parses and plans
// them once per connection), and a table changed under one is no error: the
// statement is prepared again and the page shows the new columns.
#include <boost/test/unit_test.hpp>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

BOOST_AUTO_TEST_SUITE(prepared)

BOOST_AUTO_TEST_CASE(sections_run_as_prepared_statements) {
    Stack& s = integration_stack();
    Response r = s.get("/reports/plan_probe?format=json");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    auto j = parse_json(r);
    // The section sees itself in its session's pg_prepared_statements.
    BOOST_TEST(section(j, "prepared")["rows"] == nlohmann::json::parse("[[1]]"),
               section(j, "prepared").dump());
}

BOOST_AUTO_TEST_CASE(a_changed_table_is_prepared_again) {
    Stack& s = integration_stack();
    Pg pg;
    pg.exec("ALTER TABLE asyncpage_test_plan_probe DROP COLUMN IF EXISTS b");
    // Every pooled connection the page may land on prepares the statement.
    for (int i = 0; i < 8; ++i) {
        Response r = s.get("/reports/plan_probe?format=json");
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
        BOOST_TEST(section(parse_json(r), "probe")["columns"].size() == 1u);
    }
    pg.exec("ALTER TABLE asyncpage_test_plan_probe ADD COLUMN b text DEFAULT 'new'");
    for (int i = 0; i < 8; ++i) {
        Response r = s.get("/reports/plan_probe?format=json");
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
        auto j = parse_json(r);
        const auto& probe = section(j, "probe");
        BOOST_TEST(probe["status"] == "ok", "page " << i << ": " << probe.dump());
        BOOST_TEST(probe["columns"].size() == 2u, "page " << i << ": " << probe.dump());
        BOOST_TEST(probe["rows"] == nlohmann::json::parse("[[1,\"new\"]]"), probe.dump());
    }
    pg.exec("ALTER TABLE asyncpage_test_plan_probe DROP COLUMN IF EXISTS b");
}

BOOST_AUTO_TEST_SUITE_END()
