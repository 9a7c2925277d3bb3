#pragma once
// A read-only view of query results that the writers render: owns the PGresult(s)
// libpq produced, so nothing is copied between PostgreSQL and the output buffer;
// rows that came one by one (single-row mode) are copied once, into one result.
#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/pg_types.hpp"

namespace asyncpage::model {

struct PgResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// Rows of one section: a vector of PGresults with the same columns (one for a
// normal query; the CSV path renders single-row results one at a time instead).
class Table {
  public:
    Table() = default;
    explicit Table(PgResultPtr result);
    void append(PgResultPtr result);  // more rows with the same columns
    // Copies the rows of `result` (single-row mode: one row, or none for the
    // closing TUPLES_OK) into one result this table grows, and frees `result`.
    // Kept as they come, one-row PGresults would cost about 3 KB a row in
    // libpq's allocations whatever their size; copied, a row costs its values
    // plus 16 bytes a cell. The first call keeps the columns even with no row.
    void append_rows(PgResultPtr result);

    std::size_t columns() const;
    std::string_view column_name(std::size_t c) const;
    Oid column_type(std::size_t c) const;
    std::size_t rows() const { return rows_; }
    bool is_null(std::size_t r, std::size_t c) const;
    std::string_view value(std::size_t r, std::size_t c) const;
    bool empty() const { return parts_.empty(); }

  private:
    std::pair<const PGresult*, int> locate(std::size_t r) const;
    std::vector<PgResultPtr> parts_;
    std::vector<std::size_t> starts_;  // first row index of each part
    std::size_t rows_ = 0;
    bool growing_ = false;  // the last part is append_rows' own copy
};

// For tests and stored job results: a Table built from literal values.
struct ColumnSpec {
    std::string name;
    Oid type;
};
Table make_table(const std::vector<ColumnSpec>& columns,
                 const std::vector<std::vector<std::optional<std::string>>>& rows);

}  // namespace asyncpage::model
