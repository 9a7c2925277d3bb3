// `asyncpage migrate`: on a fresh database, twice at once (two hosts deploying),
// again when the schema is current, and an upgrade of a database that has results
// stored by an older version.
#include <boost/test/unit_test.hpp>
#include <filesystem>
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
// The migrations this tree ships (sql/migrations/NNN_name.sql): how many, and the
// highest version, so the test does not change with each new migration.
std::pair<long long, int> shipped_migrations() {
    long long n = 0;
    int latest = 0;
    for (auto& e : std::filesystem::directory_iterator(std::filesystem::path(ASYNCPAGE_SOURCE_DIR) /
                                                       "sql/migrations")) {
        if (e.path().extension() != ".sql") continue;
        ++n;
        latest = std::max(latest, std::stoi(e.path().filename().string()));
    }
    return {n, latest};
}

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
    auto [count, latest] = shipped_migrations();
    BOOST_TEST(contains(again.output,
                        "schema asyncpage is up to date (version " + std::to_string(latest) + ")"),
               again.output);
    Pg fresh(dsn);
    BOOST_TEST(fresh.scalar_int("SELECT count(*) FROM asyncpage.schema_migrations") == count);
    BOOST_TEST(fresh.scalar_int("SELECT count(*) FROM pg_proc WHERE proname = 'progress'") == 1);
    write_file(dir / "bad.toml",
               "dsn = " + toml_string(test_dsn() + " dbname=no_such_db_x") + "\n");
    CommandResult bad = migrate_with(dir / "bad.toml");
    BOOST_TEST(bad.status == 1);
    BOOST_TEST(contains(bad.output, "cannot connect"), bad.output);
    pg.exec("DROP DATABASE " + name + " WITH (FORCE)");
}

// README, "Background jobs": report SQL runs on dsn, so with jobs in another
// database (jobs_dsn) migrate also puts asyncpage.progress() where the reports
// run, and check's error for a report calling it says what to do before that.
BOOST_AUTO_TEST_CASE(separate_jobs_dsn_gets_progress_into_the_report_database) {
    const std::string reports_db = unique_name("asyncpage_mig_rep");
    const std::string jobs_db = unique_name("asyncpage_mig_jobs");
    Pg pg;
    for (const std::string& db : {reports_db, jobs_db}) {
        pg.exec("DROP DATABASE IF EXISTS " + db);
        pg.exec("CREATE DATABASE " + db);
    }
    TempDir dir("asyncpage-migrate");
    std::filesystem::create_directories(dir / "reports");
    write_file(dir / "reports" / "steps.sql",
               "-- title: Steps\n-- job: true\n-- section: s\n"
               "SELECT asyncpage.progress(50, 'half') AS half;\n");
    const std::string dsn = test_dsn() + " dbname=" + reports_db;
    const std::string jobs_dsn = test_dsn() + " dbname=" + jobs_db;
    write_file(dir / "a.toml",
               "dsn = " + toml_string(dsn) + "\njobs_dsn = " + toml_string(jobs_dsn) +
                   "\nworkers = 1\nreports_dir = " + toml_string((dir / "reports").string()) +
                   "\n");
    auto check = [&] {
        return run_command(shell_quote(server_binary()) + " check --config " +
                           shell_quote((dir / "a.toml").string()));
    };
    CommandResult before = check();
    BOOST_TEST(before.status == 1, before.output);
    BOOST_TEST(contains(before.output, "run `asyncpage migrate`, which creates it there too"),
               before.output);

    CommandResult r = migrate_with(dir / "a.toml");
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(contains(r.output, "created asyncpage.progress() in the report database"), r.output);
    const char* has_progress =
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'asyncpage' AND p.proname = 'progress'";
    BOOST_TEST(Pg(dsn).scalar_int(has_progress) == 1);
    BOOST_TEST(Pg(jobs_dsn).scalar_int(has_progress) == 1);
    BOOST_TEST(Pg(dsn).scalar_int("SELECT count(*) FROM pg_class WHERE relname = 'jobs'") == 0,
               "the job tables belong in jobs_dsn only");
    CommandResult again = migrate_with(dir / "a.toml");
    BOOST_TEST(again.status == 0);
    BOOST_TEST(contains(again.output, "asyncpage.progress() is present in the report database"),
               again.output);
    CommandResult after = check();
    BOOST_TEST(after.status == 0, after.output);
    for (const std::string& db : {reports_db, jobs_db})
        pg.exec("DROP DATABASE " + db + " WITH (FORCE)");
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
