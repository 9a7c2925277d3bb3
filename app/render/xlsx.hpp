#pragma once
// Excel (.xlsx) export of one section (README, "HTTP interface"). The loop never
// waits on libxlsxwriter: it spools the section's rows, as they come in
// single-row mode, into a temp file with append_spool_rows (a length-prefixed
// record per cell, no parsing), and a helper thread turns the spool into the
// workbook with build_xlsx, in libxlsxwriter's constant_memory mode (one row in
// memory at a time), then signals the loop (docs/ARCHITECTURE.md, "Excel
// exports"). Cells are typed by the column's PostgreSQL type OID: numbers as
// numbers, dates and timestamps as Excel dates with a date format, booleans as
// booleans, NULL as an empty cell, anything else as text (inline strings: never a
// formula).
#include <postgres_ext.h>

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/table.hpp"

namespace asyncpage::render {

struct XlsxColumn {
    std::string name;
    Oid type = 0;
};

// Excel's last row is 1,048,576: one for the header, the rest for data. An export
// stops its query there (the section is then `truncated`).
inline constexpr std::size_t kXlsxMaxDataRows = 1048575;

std::vector<XlsxColumn> xlsx_columns(const PGresult* result);
// Every row of `result` as spool records: per cell a 4-byte little-endian length,
// 0xFFFFFFFF for NULL, then the value's text.
void append_spool_rows(std::string& out, const PGresult* result);
// The same for rows read back from a job's stored result (jobs::decode_rows).
using StoredRows = std::vector<std::vector<std::optional<std::string>>>;
void append_spool_rows(std::string& out, const StoredRows& rows);

struct XlsxBuild {
    std::string sheet;                // worksheet name (the section's)
    std::vector<XlsxColumn> columns;  // as the spool's rows have them
    std::size_t rows = 0;             // rows in the spool
    bool truncated = false;           // cut at kXlsxMaxDataRows: a note sheet says so
    std::string tmpdir;               // for libxlsxwriter's own temp files
};

// Reads `b.rows` spool rows from `spool_fd` (from offset 0) and writes the
// workbook to `path`. Stops early, with an error, when `cancel` becomes true.
// Returns an empty string on success, else what went wrong. Runs on a helper
// thread: touches nothing but its arguments.
std::string build_xlsx(int spool_fd, const XlsxBuild& b, const std::string& path,
                       const std::atomic<bool>& cancel);

// The type a cell gets, by its column's OID (exposed for unit tests).
enum class XlsxKind { Number, Bool, Date, Timestamp, Time, Text };
XlsxKind xlsx_kind(Oid type);

}  // namespace asyncpage::render
