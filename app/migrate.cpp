// `asyncpage migrate`: applies the compiled-in migrations to jobs_dsn (and puts
// asyncpage.progress() into dsn's database when that is another one). Everything
// runs in one transaction behind an advisory lock, so two hosts migrating at once
// take turns (the second finds the schema current) and a failure changes nothing.
// Synchronous (libpqxx): this is not the request path.
#include "migrate.hpp"

#include <fmt/format.h>

#include <iostream>
#include <pqxx/pqxx>

#include "migrations.hpp"

namespace asyncpage {

namespace {
// pg_advisory_xact_lock key: "asyncpag" as a big-endian int64.
constexpr long long kMigrateLock = 0x6173796e63706167LL;

// The newest definition of asyncpage.progress() in the migrations, as
// CREATE OR REPLACE (empty if none defines it). Taken from the migrations so
// that the report database gets exactly what the jobs database has.
std::string progress_function_sql() {
    constexpr std::string_view start = "CREATE FUNCTION asyncpage.progress(";
    std::string found;
    for (const auto& m : migrations()) {
        std::size_t at = m.sql.rfind(start);
        if (at == std::string_view::npos) continue;
        // The body is dollar-quoted: the definition ends at the second "$$".
        std::size_t open = m.sql.find("$$", at);
        std::size_t close = open == std::string_view::npos ? open : m.sql.find("$$", open + 2);
        if (close == std::string_view::npos) continue;
        found = "CREATE OR REPLACE FUNCTION " +
                std::string(m.sql.substr(at + 16, close + 2 - (at + 16)));
    }
    return found;
}

// Report SQL runs on `dsn`; a job report that calls asyncpage.progress() needs it
// there too when jobs live in another database (jobs_dsn). Creates the schema and
// the function when they are missing; a database where that is not possible (a
// read-only replica, a role without CREATE) is named, and migrate still succeeds:
// there the function must come from the primary or an administrator.
void ensure_progress_in_report_database(const config::Config& config) {
    if (config.jobs_dsn.empty() || config.jobs_dsn == config.dsn) return;
    try {
        pqxx::connection conn(config.dsn);
        pqxx::work tx(conn);
        if (!tx.exec1("SELECT to_regprocedure('asyncpage.progress(int, text)') IS NULL")[0]
                 .as<bool>()) {
            std::cout << "dsn: asyncpage.progress() is present in the report database\n";
            return;
        }
        tx.exec0("CREATE SCHEMA IF NOT EXISTS asyncpage");
        tx.exec0(progress_function_sql());
        tx.commit();
        std::cout << "dsn: created asyncpage.progress() in the report database (jobs_dsn is "
                     "another database; report SQL runs on dsn)\n";
    } catch (const std::exception& e) {
        std::string msg = e.what();
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
            msg.pop_back();
        std::cout << "warning: dsn: could not create asyncpage.progress() in the report database "
                     "(job reports that call it will fail there until it exists): "
                  << msg << "\n";
    }
}
}  // namespace

int run_migrate(const config::Config& config) {
    const std::string& dsn = config.jobs_dsn.empty() ? config.dsn : config.jobs_dsn;
    const Migration* current = nullptr;
    try {
        pqxx::connection conn(dsn);
        pqxx::work tx(conn);
        tx.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrateLock));
        tx.exec0("CREATE SCHEMA IF NOT EXISTS asyncpage");
        tx.exec0(
            "CREATE TABLE IF NOT EXISTS asyncpage.schema_migrations ("
            " version int PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())");
        int have = tx.exec1("SELECT coalesce(max(version), 0) FROM asyncpage.schema_migrations")[0]
                       .as<int>();
        int applied = 0;
        for (const auto& m : migrations()) {
            if (m.version <= have) continue;
            current = &m;
            tx.exec0(std::string(m.sql));
            tx.exec_params0(
                "INSERT INTO asyncpage.schema_migrations (version, name) VALUES ($1, $2)",
                m.version, std::string(m.name));
            std::cout << "applied " << m.name << "\n";
            ++applied;
        }
        current = nullptr;
        tx.commit();
        int latest = migrations().empty() ? 0 : migrations().back().version;
        if (applied == 0) {
            std::cout << fmt::format("schema asyncpage is up to date (version {})\n",
                                     std::max(have, latest));
        } else {
            std::cout << fmt::format("schema asyncpage migrated from version {} to {}\n", have,
                                     latest);
        }
        if (have > latest) {
            std::cout << fmt::format(
                "note: the database has schema version {}, newer than this binary's {}\n", have,
                latest);
        }
        ensure_progress_in_report_database(config);
        return 0;
    } catch (const pqxx::broken_connection& e) {
        std::cout << "jobs_dsn: cannot connect to PostgreSQL: " << e.what() << "\n";
    } catch (const pqxx::sql_error& e) {
        std::string msg = e.what();
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
            msg.pop_back();
        std::cout << fmt::format("migration {} failed, nothing was changed: {} (SQLSTATE {})\n",
                                 current ? current->name : "setup", msg, e.sqlstate());
    } catch (const std::exception& e) {
        std::cout << "migrate failed, nothing was changed: " << e.what() << "\n";
    }
    return 1;
}

}  // namespace asyncpage
