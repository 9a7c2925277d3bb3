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

namespace {
// Pages of `report` before and after a column is added under its `probes`
// sections (SELECT * of asyncpage_test_plan_probe); every page must be whole.
void change_the_table_under(const std::string& report, const std::vector<std::string>& probes) {
    Stack& s = integration_stack();
    Pg pg;
    pg.exec("ALTER TABLE asyncpage_test_plan_probe DROP COLUMN IF EXISTS b");
    // Every pooled connection the page may land on prepares the statement.
    for (int i = 0; i < 8; ++i) {
        Response r = s.get("/reports/" + report + "?format=json");
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
        for (const auto& name : probes)
            BOOST_TEST(section(parse_json(r), name)["columns"].size() == 1u);
    }
    pg.exec("ALTER TABLE asyncpage_test_plan_probe ADD COLUMN b text DEFAULT 'new'");
    for (int i = 0; i < 8; ++i) {
        Response r = s.get("/reports/" + report + "?format=json");
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
        auto j = parse_json(r);
        BOOST_TEST(j["status"] == "ok", "page " << i << ": " << r.body);
        for (const auto& name : probes) {
            const auto& probe = section(j, name);
            BOOST_TEST(probe["columns"].size() == 2u, "page " << i << ": " << probe.dump());
            BOOST_TEST(probe["rows"] == nlohmann::json::parse("[[1,\"new\"]]"), probe.dump());
        }
    }
    pg.exec("ALTER TABLE asyncpage_test_plan_probe DROP COLUMN IF EXISTS b");
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_changed_table_is_prepared_again) {
    change_the_table_under("plan_probe", {"probe"});
}

// Sequential sections are pipelined: a stale statement cannot be run again in
// place, since the sections behind it are already queued; it runs again after
// them, and the page still lists its sections in file order.
BOOST_AUTO_TEST_CASE(a_changed_table_is_prepared_again_in_a_pipeline) {
    change_the_table_under("plan_probe_sequential", {"probe", "probe_again"});
    Response r = integration_stack().get("/reports/plan_probe_sequential?format=json");
    auto j = parse_json(r);
    BOOST_TEST(section_names(j) == (std::vector<std::string>{"probe", "other", "probe_again"}));
    BOOST_TEST(section(j, "other")["rows"] == nlohmann::json::parse("[[2]]"));
}

BOOST_AUTO_TEST_SUITE_END()
