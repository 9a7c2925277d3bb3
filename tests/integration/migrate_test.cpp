// `asyncpage migrate`: on a fresh database, twice at once (two hosts deploying),
// and again when the schema is current.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <future>

#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/server.hpp"
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

BOOST_AUTO_TEST_SUITE_END()
