// `asyncpage migrate`: on a fresh database, twice at once (two hosts deploying),
// again when the schema is current, and an upgrade of a database that has results
// stored by an older version.
#include <boost/test/unit_test.hpp>
#include <future>

#include <fstream>
#include <sstream>

#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/server.hpp"
#include "support/stack.hpp"
#include "support/text.hpp"

using namespace support;

namespace {
CommandResult migrate_with(const std::filesystem::path& config) {
    return run_command(shell_quote(server_binary()) + " migrate --config " +
                       shell_quote(config.string()));
}

std::string migration_sql(const std::string& file) {
    std::ifstream in(reports_dir().parent_path().parent_path() / "sql" / "migrations" / file);
    BOOST_REQUIRE_MESSAGE(in, "cannot read migration " << file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

int latest_version() {
    int latest = 0;
    for (auto& entry : std::filesystem::directory_iterator(
             reports_dir().parent_path().parent_path() / "sql" / "migrations"))
        latest = std::max(latest, std::stoi(entry.path().filename().string()));
    return latest;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(migration)

BOOST_AUTO_TEST_CASE(two_at_once_on_a_fresh_database_then_up_to_date) {
    const std::string name = unique_name("asyncpage_migrate");
    Pg pg;
    pg.exec("DROP DATABASE IF EXISTS " + name);
    pg.exec("CREATE DATABASE " + name);
    TempDir dir("asyncpage-migrate");
    std::string dsn = test_dsn() + " dbname=" + name;
    write_file(dir / "a.toml", "dsn = " + toml_string(dsn) + "\n");
    auto first = std::async(std::launch::async, [&] { return migrate_with(dir / "a.toml"); });
    auto second = std::async(std::launch::async, [&] { return migrate_with(dir / "a.toml"); });
    CommandResult r1 = first.get(), r2 = second.get();
    BOOST_TEST_MESSAGE("first: " << r1.output << "second: " << r2.output);
    BOOST_TEST(r1.status == 0);
    BOOST_TEST(r2.status == 0);
    BOOST_TEST(count_of(r1.output + r2.output, "applied 001_jobs") == 1u, "exactly one applied it");
    BOOST_TEST(count_of(r1.output + r2.output, "up to date") == 1u, "the other found it current");
    CommandResult again = migrate_with(dir / "a.toml");
    BOOST_TEST(again.status == 0);
    BOOST_TEST(contains(again.output, "schema asyncpage is up to date (version " +
                                          std::to_string(latest_version()) + ")"),
               again.output);
    Pg fresh(dsn);
    BOOST_TEST(fresh.scalar_int("SELECT count(*) FROM asyncpage.schema_migrations") ==
               latest_version());
    BOOST_TEST(fresh.scalar_int("SELECT count(*) FROM pg_proc WHERE proname = 'progress'") == 1);
    write_file(dir / "bad.toml",
               "dsn = " + toml_string(test_dsn() + " dbname=no_such_db_x") + "\n");
    CommandResult bad = migrate_with(dir / "bad.toml");
    BOOST_TEST(bad.status == 1);
    BOOST_TEST(contains(bad.output, "cannot connect"), bad.output);
    pg.exec("DROP DATABASE " + name + " WITH (FORCE)");
}

// A database migrated by version 1 stored each section's rows as one jsonb value:
// after the upgrade the same result is read back from chunks.
BOOST_AUTO_TEST_CASE(results_stored_by_version_1_survive_the_upgrade) {
    const std::string name = unique_name("asyncpage_upgrade");
    Pg pg;
    pg.exec("DROP DATABASE IF EXISTS " + name);
    pg.exec("CREATE DATABASE " + name);
    std::string dsn = test_dsn() + " dbname=" + name;
    std::string id = "6f1d3a52-1c2b-4d5e-8f90-0123456789ab";
    {
        Pg old(dsn);
        old.exec(migration_sql("001_jobs.sql"));
        old.exec(
            "CREATE TABLE asyncpage.schema_migrations (version int PRIMARY KEY, name text NOT "
            "NULL, applied_at timestamptz NOT NULL DEFAULT now());"
            "INSERT INTO asyncpage.schema_migrations (version, name) VALUES (1, '001_jobs')");
        old.exec(
            "INSERT INTO asyncpage.jobs (id, report, state, runner, started_at, finished_at) "
            "VALUES ('" +
            id +
            "', 'job_steps', 'succeeded', 'oldhost pid 1 0000', now(), "
            "now())");
        old.exec(
            "INSERT INTO asyncpage.job_results (job_id, position, name, status, columns, rows) "
            "VALUES ('" +
            id +
            "', 0, 's', 'ok', "
            "'[{\"name\": \"n\", \"type\": 23}, {\"name\": \"t\", \"type\": 25}]', "
            "'[[\"1\", \"a,b\"], [\"2\", null]]'),"
            "('" +
            id + "', 1, 'e', 'error', '[]', '[]')");
    }
    TempDir dir("asyncpage-upgrade");
    write_file(dir / "a.toml", "dsn = " + toml_string(dsn) + "\n");
    CommandResult up = migrate_with(dir / "a.toml");
    BOOST_TEST_MESSAGE("upgrade: " << up.output);
    BOOST_TEST(up.status == 0);
    BOOST_TEST(contains(up.output, "applied 002_result_chunks"), up.output);
    BOOST_TEST(contains(migrate_with(dir / "a.toml").output, "up to date"));
    {
        ServerOptions o;
        o.config = {{"jobs_dsn", toml_string(dsn)}, {"job_slots", "0"}};
        Stack s(o);
        Response csv = s.get("/jobs/" + id + "/result?format=csv&section=s");
        BOOST_TEST(csv.status == 200, csv.summary() << " " << csv.body);
        BOOST_TEST(csv.body == "n,t\r\n1,\"a,b\"\r\n2,\r\n");
        Response js = s.get("/jobs/" + id + "/result?format=json");
        BOOST_TEST(js.status == 200, js.summary());
        BOOST_TEST(contains(js.body, "\"rows\":[[1,\"a,b\"],[2,null]]"), js.body);
    }
    pg.exec("DROP DATABASE " + name + " WITH (FORCE)");
}

BOOST_AUTO_TEST_SUITE_END()
