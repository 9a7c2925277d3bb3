// Table: the rows of one section as libpq returned them, read in place (or, for
// single-row mode, copied into one result: append_rows), and make_table for
// results that do not come from a live query (tests, stored job results).
#include "model/table.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <utility>

namespace asyncpage::model {

Table::Table(PgResultPtr result) {
    append(std::move(result));
}

void Table::append(PgResultPtr result) {
    if (!result) return;
    starts_.push_back(rows_);
    rows_ += static_cast<std::size_t>(PQntuples(result.get()));
    parts_.push_back(std::move(result));
    growing_ = false;
}

void Table::append_rows(PgResultPtr result) {
    if (!result) return;
    int cols = PQnfields(result.get());
    if (cols == 0) {  // PQsetvalue cannot store a row without a field: keep it whole
        append(std::move(result));
        return;
    }
    if (!growing_) {
        // Columns only; PQsetvalue appends rows to it (libpq, Miscellaneous Functions).
        PgResultPtr own(PQcopyResult(result.get(), PG_COPYRES_ATTRS));
        if (!own) throw std::bad_alloc();
        append(std::move(own));
        growing_ = true;
    }
    PGresult* into = parts_.back().get();
    int n = PQntuples(result.get());
    for (int r = 0; r < n; ++r) {
        int row = PQntuples(into);
        for (int c = 0; c < cols; ++c) {
            // A len of -1 stores SQL NULL; a value is copied into the result's own
            // blocks.
            int ok = PQgetisnull(result.get(), r, c)
                         ? PQsetvalue(into, row, c, nullptr, -1)
                         : PQsetvalue(into, row, c, PQgetvalue(result.get(), r, c),
                                      PQgetlength(result.get(), r, c));
            if (!ok) throw std::bad_alloc();
        }
        ++rows_;
    }
}

std::size_t Table::columns() const {
    return parts_.empty() ? 0 : static_cast<std::size_t>(PQnfields(parts_.front().get()));
}

std::string_view Table::column_name(std::size_t c) const {
    const char* name = PQfname(parts_.front().get(), static_cast<int>(c));
    return name ? std::string_view(name) : std::string_view{};
}

Oid Table::column_type(std::size_t c) const {
    return PQftype(parts_.front().get(), static_cast<int>(c));
}

std::pair<const PGresult*, int> Table::locate(std::size_t r) const {
    if (parts_.size() == 1) return {parts_.front().get(), static_cast<int>(r)};
    // The last part whose first row is <= r; empty parts share their start with the
    // next part, and upper_bound skips past them to the one that holds the row.
    auto it = std::upper_bound(starts_.begin(), starts_.end(), r);
    std::size_t part = static_cast<std::size_t>(it - starts_.begin()) - 1;
    return {parts_[part].get(), static_cast<int>(r - starts_[part])};
}

bool Table::is_null(std::size_t r, std::size_t c) const {
    auto [res, row] = locate(r);
    return PQgetisnull(res, row, static_cast<int>(c)) != 0;
}

std::string_view Table::value(std::size_t r, std::size_t c) const {
    auto [res, row] = locate(r);
    int col = static_cast<int>(c);
    // PQgetvalue gives "" for NULL, so a NULL reads as an empty view here; callers
    // ask is_null first where the difference matters.
    return {PQgetvalue(res, row, col), static_cast<std::size_t>(PQgetlength(res, row, col))};
}

Table make_table(const std::vector<ColumnSpec>& columns,
                 const std::vector<std::vector<std::optional<std::string>>>& rows) {
    PgResultPtr res(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
    if (!res) throw std::bad_alloc();
    std::vector<PGresAttDesc> attrs(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
        // PQsetResultAttrs copies the names into the result's own storage.
        attrs[i].name = const_cast<char*>(columns[i].name.c_str());
        attrs[i].tableid = 0;
        attrs[i].columnid = 0;
        attrs[i].format = 0;  // text, as every query of asyncpage asks for
        attrs[i].typid = columns[i].type;
        attrs[i].typlen = -1;
        attrs[i].atttypmod = -1;
    }
    if (!PQsetResultAttrs(res.get(), static_cast<int>(attrs.size()), attrs.data())) {
        throw std::bad_alloc();
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != columns.size()) {
            throw std::invalid_argument("make_table: row " + std::to_string(r) + " has " +
                                        std::to_string(rows[r].size()) + " values for " +
                                        std::to_string(columns.size()) + " columns");
        }
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const auto& v = rows[r][c];
            // PQsetvalue: a len of -1 (or a null pointer) stores SQL NULL; the value is
            // copied. Setting row == PQntuples appends a row.
            int ok =
                v ? PQsetvalue(res.get(), static_cast<int>(r), static_cast<int>(c),
                               const_cast<char*>(v->data()), static_cast<int>(v->size()))
                  : PQsetvalue(res.get(), static_cast<int>(r), static_cast<int>(c), nullptr, -1);
            if (!ok) throw std::bad_alloc();
        }
    }
    // A zero-column row cannot be stored (PQsetvalue needs a field), so rows of no
    // columns are dropped; no query produces them anyway.
    return Table(std::move(res));
}

}  // namespace asyncpage::model
