#pragma once
// RFC 4180 CSV: CRLF line ends; a field is quoted when it contains , ; " CR LF or is
// empty text (NULL is an empty unquoted field, '' is ""). A field starting with
// = + - @ TAB CR is prefixed with ' inside quotes so spreadsheets do not run it
// as a formula (OWASP CSV injection), except plain numbers such as -12.5.
#include <string>
#include <string_view>

#include "model/table.hpp"

namespace asyncpage::render {

using model::Table;

// Plain numbers: [+-]?(digits[.digits]|.digits)([eE][+-]?digits)?. The guard also
// applies to column names. Guarded fields change (the ' is data), the price of
// opening exports safely in spreadsheets: an interval "-1 days" arrives as
// "'-1 days" (JSON and HTML keep values as they are). ; is quoted for Excel in
// locales whose list separator it is.
void append_csv_field(std::string& out, std::string_view value, bool is_null);
void append_csv_header(std::string& out, const PGresult* result);  // names, then CRLF
void append_csv_rows(std::string& out, const PGresult* result);    // every row of it
// The same for a Table (stored job results, tests).
void append_csv_header(std::string& out, const Table& table);
void append_csv_rows(std::string& out, const Table& table);
// The last record of a CSV whose query failed after the header (and maybe rows) were
// sent, since the status line is gone by then: `#ERROR,<sqlstate>,<message>` CRLF,
// sqlstate and message written as fields (quoted when needed, "" when empty), e.g.
// `#ERROR,57014,canceling statement due to statement timeout`. Readers spot it by
// its first field; a data row whose first value is the text #ERROR looks the same,
// which is the limit of signalling in-band. Call it after a CRLF.
void append_csv_error(std::string& out, std::string_view sqlstate, std::string_view message);

}  // namespace asyncpage::render
