#pragma once
// `asyncpage check`: the columns a section's chart, format and link lines name
// must be columns its query returns (README, "Presentation lines"). Only
// PostgreSQL knows a query's columns: it describes the prepared section.
#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/report.hpp"

namespace asyncpage {

class ColumnChecker {
  public:
    // Its own libpq connection to `dsn` (libpqxx keeps its PGconn private, and
    // PQdescribePrepared is what tells the result's columns without running the
    // query). connected() says whether it worked; error() why not.
    explicit ColumnChecker(const std::string& dsn);
    bool connected() const;
    std::string error() const;

    // The names of the columns `section` returns, with its params typed as the
    // request path binds them; nullopt (and `error`) when it does not prepare.
    std::optional<std::vector<std::string>> columns(const reports::Report& report,
                                                    const reports::Section& section,
                                                    std::string& error);

    // Prints "FILE:LINE: section S: chart: the query returns no column 'x'" for
    // each name of the section's presentation lines that its query lacks; returns
    // how many. A section without presentation lines is not described.
    int check(const reports::Report& report, const reports::Section& section, std::ostream& out);

  private:
    struct Closer {
        void operator()(PGconn* c) const { PQfinish(c); }
    };
    std::unique_ptr<PGconn, Closer> conn_;
};

}  // namespace asyncpage
