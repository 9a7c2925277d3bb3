#pragma once
// JSON writers in exactly the shape README's "HTTP interface" gives.
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace asyncpage::render {

using model::PageResult;
using model::SectionResult;
using model::SectionStatus;
using model::Table;

// How a column's text value is written in JSON.
enum class JsonKind {
    Number,     // int2/int4/int8/oid/float4/float8 (NaN/Infinity become strings)
    Bool,       // 't'/'f' → true/false
    Timestamp,  // timestamp/timestamptz: ' ' between date and time becomes 'T'
    Raw,        // json/jsonb: embedded as JSON
    String,     // everything else, numeric included (exact)
};
JsonKind json_kind(Oid oid);

// {"report":..,"status":..,"elapsed_ms":N,"sections":[{"name","status","elapsed_ms",
//  "columns":[{"name","type"}],"rows":[[..]],"truncated":B,"error":{"sqlstate","message"}}]}
// Keys in that order. "truncated" is on every section: true when max_rows cut its
// rows (SectionResult::truncated). elapsed_ms values are whole milliseconds. "columns" and "rows"
// are filled for ok sections only ([] otherwise); "error" only on error sections;
// timeout and cancelled sections carry "message" when SectionResult::message is set.
// With `trace`, each section also gets "trace":{"wait_ms","begin_ms","end_ms"} (ms
// with one decimal; begin/end null when the section never started) and the page
// "wait_ms" after "elapsed_ms".
// Cells by JsonKind: int2/int4/int8/oid as integers (a string if not an int64),
// float4/float8 as numbers in PostgreSQL's own digits (NaN, Infinity, -Infinity as
// strings), bool true/false, timestamp/timestamptz with 'T' ("2024-01-01T10:00:00+00"),
// json/jsonb embedded as they are (a string when not valid JSON), everything else
// (numeric, date, text, arrays...) as a string; NULL is null. Invalid UTF-8 becomes
// U+FFFD, so the output is always valid JSON; nothing here throws but bad_alloc.
std::string json_page(const PageResult& page, bool trace);

// {"error":{"status":N,"message":..}} plus "param" when given (400s).
std::string json_error(int status, std::string_view message, std::string_view param = {});

// The same page written in pieces, for a result whose rows come chunk by chunk (a
// stored job result): page_open, then per section section_open, rows (any number
// of times) and section_close, then page_close. Sections are written without
// "trace"; together the pieces equal json_page(page, false).
void append_json_page_open(std::string& out, const PageResult& page);  // sections not read
void append_json_section_open(std::string& out, const SectionResult& section,
                              const std::vector<model::ColumnSpec>& columns, bool first);
// The rows of `rows` (its columns those of section_open); `first` is true before
// the section's first row and false after.
void append_json_rows(std::string& out, const Table& rows, bool& first);
void append_json_section_close(std::string& out, const SectionResult& section);
void append_json_page_close(std::string& out);

// A JSON string literal (quotes included) with the escaping and UTF-8 repair above;
// for other JSON writers (jobs) that build by hand.
void append_json_string(std::string& out, std::string_view text);

}  // namespace asyncpage::render
