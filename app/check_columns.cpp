// `asyncpage check`'s column check for presentation lines: prepares each section
// that has them as the unnamed statement and asks PostgreSQL for its result's
// columns (libpq, "Main Functions": PQprepare, PQdescribePrepared, PQfname).
// Nothing is executed. Blocking, like the rest of `check`.
#include "check_columns.hpp"

#include <fmt/format.h>

#include "reports/presentation.hpp"
#include "reports/sql_types.hpp"

namespace asyncpage {
namespace {

struct ResultCloser {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultCloser>;

std::string trimmed(const char* message) {
    std::string m = message ? message : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
        m.pop_back();
    return m;
}

}  // namespace

ColumnChecker::ColumnChecker(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {}

bool ColumnChecker::connected() const {
    return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

std::string ColumnChecker::error() const {
    return conn_ ? trimmed(PQerrorMessage(conn_.get())) : "out of memory";
}

std::optional<std::vector<std::string>> ColumnChecker::columns(const reports::Report& report,
                                                               const reports::Section& section,
                                                               std::string& error) {
    std::vector<Oid> types;
    for (std::size_t idx : section.param_index)
        types.push_back(reports::param_type_oid(report.params[idx].type));
    // The unnamed statement: each PQprepare of "" replaces the one before.
    Result prepared(PQprepare(conn_.get(), "", section.sql.c_str(), static_cast<int>(types.size()),
                              types.empty() ? nullptr : types.data()));
    if (!prepared || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
        error = trimmed(PQerrorMessage(conn_.get()));
        return std::nullopt;
    }
    Result described(PQdescribePrepared(conn_.get(), ""));
    if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
        error = trimmed(PQerrorMessage(conn_.get()));
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (int c = 0; c < PQnfields(described.get()); ++c)
        names.emplace_back(PQfname(described.get(), c));
    return names;
}

int ColumnChecker::check(const reports::Report& report, const reports::Section& section,
                         std::ostream& out) {
    if (section.presentation.empty()) return 0;
    std::string error;
    auto cols = columns(report, section, error);
    if (!cols) {
        // The PREPARE before this one reports SQL errors; this is only reached when
        // that passed and describing it failed anyway.
        out << fmt::format("{}:{}: section {}: cannot describe its columns: {}\n", report.file,
                           section.line, section.name, error);
        return 1;
    }
    auto problems = reports::unknown_columns(section.presentation, *cols);
    for (const auto& [line, message] : problems) {
        out << fmt::format("{}:{}: section {}: {}\n", report.file, line, section.name, message);
    }
    return static_cast<int>(problems.size());
}

}  // namespace asyncpage
