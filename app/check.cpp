// `asyncpage check`: parses every report file and has PostgreSQL prepare every
// section with its declared parameter types, so SQL and type errors show up with
// file:line before deploy. Synchronous (libpqxx): this is not the request path.
#include "check.hpp"

#include <fmt/format.h>

#include <iostream>
#include <pqxx/pqxx>

#include "reports/parser.hpp"
#include "reports/sql_types.hpp"

namespace asyncpage {

int run_check(const config::Config& config) {
    auto set = reports::load_reports(config.reports_dir, config.default_timeout);
    int problems = 0;
    for (auto& e : set.errors) {
        std::cout << e.to_string() << "\n";
        ++problems;
    }
    try {
        pqxx::connection conn(config.dsn);
        pqxx::nontransaction tx(conn);
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
                } catch (const pqxx::sql_error& e) {
                    std::string msg = e.what();
                    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
                        msg.pop_back();
                    std::cout << fmt::format("{}:{}: section {}: {} (SQLSTATE {})\n", report.file,
                                             section.line, section.name, msg, e.sqlstate());
                    ++problems;
                }
            }
        }
    } catch (const pqxx::broken_connection& e) {
        std::cout << "dsn: cannot connect to PostgreSQL: " << e.what() << "\n";
        return 1;
    }
    std::cout << fmt::format("{} reports checked, {} problems\n", set.reports.size(), problems);
    return problems == 0 ? 0 : 1;
}

}  // namespace asyncpage
