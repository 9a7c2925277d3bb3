// `asyncpage check`: parses every report file and has PostgreSQL prepare every
// section with its declared parameter types, so SQL and type errors show up with
// file:line before deploy. Synchronous (libpqxx): this is not the request path.
#include "check.hpp"

#include <fmt/format.h>

#include <iostream>
#include <pqxx/pqxx>

#include "check_columns.hpp"
#include "core/units.hpp"
#include "reports/parser.hpp"
#include "reports/sql_types.hpp"
#include "worker.hpp"

namespace asyncpage {

namespace {
// What the shipped nginx site and systemd unit allow (nginx/asyncpage.conf
// fastcgi_read_timeout, packaging/asyncpage.service TimeoutStopSec); README,
// "Sizing and timeouts".
constexpr Millis kShippedReadTimeout{120000};
constexpr Millis kShippedStopTimeout{90000};

std::string secs(Millis d) {
    return format_seconds(d) + "s";
}

// The timeout chain: a page must end before nginx stops waiting for it, and a
// drain (longest timeout + grace) before systemd kills the service.
int warn_timeouts(const config::Config& config, const reports::ReportSet& set) {
    int warnings = 0;
    auto warn = [&](const std::string& where, Millis t) {
        if (t >= kShippedReadTimeout) {
            std::cout << fmt::format(
                "{}: warning: timeout {} is not below the shipped nginx site's "
                "fastcgi_read_timeout ({}): nginx would answer 504 first; raise it there\n",
                where, secs(t), secs(kShippedReadTimeout));
            ++warnings;
        } else if (t + kDrainGrace >= kShippedStopTimeout) {
            std::cout << fmt::format(
                "{}: warning: timeout {} plus the drain grace ({}) is not below the shipped unit's "
                "TimeoutStopSec ({}): systemd would kill a draining server; raise it in a "
                "drop-in\n",
                where, secs(t), secs(kDrainGrace), secs(kShippedStopTimeout));
            ++warnings;
        }
    };
    warn("default_timeout", config.default_timeout);
    for (auto& [name, report] : set.reports) {
        if (report.timeout != config.default_timeout) warn(report.file, report.timeout);
    }
    return warnings;
}

// Every worker opens worker_connections() to PostgreSQL, and during a SIGHUP
// reload the old and the new workers overlap: twice that. Warns when the server's
// max_connections (less the superuser reserve) cannot hold it.
int warn_connections(const config::Config& config, pqxx::transaction_base& tx) {
    const WorkerConnections per = worker_connections(config);
    const long need = static_cast<long>(per.total()) * config.workers;
    const long max = tx.exec1("SELECT current_setting('max_connections')::int")[0].as<long>();
    const long reserved =
        tx.exec1("SELECT current_setting('superuser_reserved_connections')::int")[0].as<long>();
    std::cout << fmt::format(
        "connections: {} workers x ({} pool_size + {} job bookkeeping + {} job runs (job_slots x "
        "4) "
        "+ {} job results + {} LISTEN) = {}, {} during a reload; the server allows {} "
        "(max_connections {} - {} "
        "reserved)\n",
        config.workers, per.pages, per.meta, per.runs, per.results, per.listen, need, 2 * need,
        max - reserved, max, reserved);
    if (2 * need <= max - reserved) return 0;
    std::cout << fmt::format(
        "warning: max_connections is too small for this config: {} connections needed during a "
        "reload, {} available; raise max_connections (and restart PostgreSQL) or lower "
        "workers, pool_size or job_slots\n",
        2 * need, max - reserved);
    return 1;
}

// Behind a transaction pooler asyncpage sends no statement_timeout of its own
// (PgBouncer 1.18 refuses the startup option that carries it): the backstop for
// a query whose cancel was lost is then the role's or the database's setting.
// And LISTEN through the pooler hears nothing, so jobs need jobs_dsn direct.
int warn_pooler(const config::Config& config, const reports::ReportSet& set,
                pqxx::transaction_base& tx) {
    if (config.pool_mode != config::Config::PoolMode::Transaction) return 0;
    int warnings = 0;
    Millis longest = config.default_timeout;
    for (auto& [name, report] : set.reports)
        longest = std::max(longest, report.timeout);
    const long ms =
        tx.exec1("SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'")[0]
            .as<long>();
    std::cout << fmt::format(
        "pool_mode = transaction: statement_timeout {} ms comes from the role or database "
        "(the longest report timeout is {})\n",
        ms, secs(longest));
    if (ms == 0) {
        std::cout << fmt::format(
            "warning: no statement_timeout for this role: a query whose cancel is lost runs on; "
            "run ALTER ROLE {} SET statement_timeout = '{}ms' (on PostgreSQL itself)\n",
            tx.exec1("SELECT current_user")[0].as<std::string>(), longest.count() + 1000);
        ++warnings;
    } else if (ms <= longest.count()) {
        std::cout << fmt::format(
            "warning: statement_timeout {} ms is not above the longest report timeout ({}): such "
            "sections end in an error instead of at their deadline\n",
            ms, secs(longest));
        ++warnings;
    }
    if (config.jobs_dsn == config.dsn) {
        std::cout << "warning: pool_mode = transaction and jobs_dsn is dsn: LISTEN through a "
                     "transaction pooler hears nothing; set jobs_dsn to PostgreSQL itself\n";
        ++warnings;
    }
    return warnings;
}
}  // namespace

int run_check(const config::Config& config) {
    auto set = reports::load_reports(config.reports_dir, config.default_timeout);
    int problems = 0;
    for (auto& e : set.errors) {
        std::cout << e.to_string() << "\n";
        ++problems;
    }
    int warnings = 0;
    for (auto& [name, report] : set.reports) {
        for (auto& w : report.warnings) {
            std::cout << w.to_string() << "\n";
            ++warnings;
        }
    }
    warnings += warn_timeouts(config, set);
    try {
        pqxx::connection conn(config.dsn);
        pqxx::nontransaction tx(conn);
        warnings += warn_connections(config, tx);
        warnings += warn_pooler(config, set, tx);
        ColumnChecker columns(config.dsn);
        if (!columns.connected()) {
            std::cout << "dsn: cannot connect to PostgreSQL: " << columns.error() << "\n";
            return 1;
        }
        int n = 0;
        for (auto& [name, report] : set.reports) {
            for (auto& section : report.sections) {
                std::string types;
                for (std::size_t idx : section.param_index) {
                    types += (types.empty() ? "" : ", ");
                    types += reports::param_type_sql(report.params[idx].type);
                }
                std::string stmt = fmt::format("asyncpage_check_{}", n++);
                std::string sql = "PREPARE " + stmt + (types.empty() ? "" : " (" + types + ")") +
                                  " AS " + section.sql;
                try {
                    tx.exec0(sql);
                    tx.exec0("DEALLOCATE " + stmt);
                    // The columns its presentation lines name (check_columns.hpp).
                    problems += columns.check(report, section, std::cout);
                } catch (const pqxx::sql_error& e) {
                    std::string msg = e.what();
                    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
                        msg.pop_back();
                    // Report SQL runs on dsn; with jobs in another database
                    // (jobs_dsn) the progress function must be there too.
                    std::string hint;
                    if ((e.sqlstate() == "42883" || e.sqlstate() == "3F000") &&
                        msg.find("asyncpage") != std::string::npos) {
                        hint =
                            "; asyncpage.progress() is missing in dsn's database: run "
                            "`asyncpage migrate`, which creates it there too";
                    }
                    std::cout << fmt::format("{}:{}: section {}: {} (SQLSTATE {}){}\n", report.file,
                                             section.line, section.name, msg, e.sqlstate(), hint);
                    ++problems;
                }
            }
        }
    } catch (const pqxx::broken_connection& e) {
        std::cout << "dsn: cannot connect to PostgreSQL: " << e.what() << "\n";
        return 1;
    }
    std::cout << fmt::format("{} reports checked, {} problems, {} warnings\n", set.reports.size(),
                             problems, warnings);
    return problems == 0 ? 0 : 1;
}

}  // namespace asyncpage
