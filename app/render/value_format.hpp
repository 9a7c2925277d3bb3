#pragma once
// How a value of a result is shown in an HTML table cell (README, "Presentation
// lines"): numbers grouped by thousands, numeric keeping its scale, timestamps to
// the second with the exact value kept for the title, and the `-- format:` kinds.
// JSON, CSV and Excel never come here: they carry PostgreSQL's text.
#include <postgres_ext.h>  // Oid

#include <optional>
#include <string>
#include <string_view>

#include "reports/presentation.hpp"

namespace asyncpage::render {

// What a column holds, for alignment, sorting and charts.
enum class ValueClass {
    Text,    // shown as is, sorted as text
    Number,  // right-aligned, sorted by value
    Time,    // dates and timestamps, sorted by time
};

// By the column's type, or by its format when it has one (a `money` text column
// is a number).
ValueClass value_class(Oid type, const reports::ColumnFormat* format);

// One cell, ready to be escaped into <td title=.. data-v=..>text</td>.
struct FormattedValue {
    std::string text;   // what is shown
    std::string title;  // the exact value when `text` is not it; else empty
    // The number to sort by when the text will not do ("1.5 MiB"); empty: the
    // text sorts (assets/table_sort.js reads grouped numbers, percentages and,
    // through the title when there is one, timestamps). Kept rare: it is bytes on
    // every row of a page.
    std::string sort;
};

// Formats `value` (PostgreSQL's text of a column of `type`) into `out` (reused
// between cells). A value that does not parse as its format expects is shown as is.
void format_value(std::string_view value, Oid type, const reports::ColumnFormat* format,
                  FormattedValue& out);

// ---- building blocks, exposed for tests and charts --------------------------------

// "-1234567.891" → "-1,234,567.891"; text that is not a plain decimal
// (NaN, Infinity, 1e+20) comes back unchanged.
std::string group_thousands(std::string_view decimal);
// A plain decimal rounded half away from zero to `decimals` places, as
// PostgreSQL's round(numeric, d) does, padded with zeros: ("2.345", 2) → "2.35",
// ("7", 2) → "7.00". Exact for any number of digits; nullopt unless `decimal` is
// -?DIGITS[.DIGITS].
std::optional<std::string> round_decimal(std::string_view decimal, int decimals);
// A number in any of PostgreSQL's spellings of int, float or numeric; nullopt for
// NaN, infinities and text that is not a number.
std::optional<double> parse_number(std::string_view text);
// A date ("2026-11-28") or timestamp[tz] ("2026-11-28 20:02:02.38+00") as seconds
// since 1970-01-01 UTC (a timestamp without zone is taken as UTC); nullopt otherwise.
std::optional<double> parse_time(std::string_view text);
// 1536 → "1.5 KiB"; below 1024 "N B".
std::string format_bytes(double bytes);

}  // namespace asyncpage::render
