#pragma once
// The stored forms of a job, written and read with one JSON library (nlohmann):
// the params a job was created with (asyncpage.jobs.params), its result sections
// (asyncpage.job_results, written through jsonb_to_recordset), the chunks of its
// rows (asyncpage.job_result_chunks.rows), and the job JSON that asyncpage.job_json
// builds. Plain data, no I/O: the store runs the SQL.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "model/job.hpp"
#include "model/result.hpp"
#include "reports/report.hpp"

namespace asyncpage::jobs {

// {"NAME": "value", ...}: the first given value of each param the report declares.
std::string encode_params(const reports::Report& report, const http::Fields& given);
// Back to fields; anything that is not a string value is left out.
http::Fields decode_params(std::string_view json);

// What a job run saw of one section while its rows were stored in chunks (the
// section's table then stays empty).
struct SectionShape {
    std::vector<model::ColumnSpec> columns;
    std::int64_t rows = 0;
};

// The sections as a JSON array of asyncpage.job_results rows, in file order:
// {"position", "name", "status", "elapsed_ms", "columns": [{"name", "type": OID}],
// "row_count", "error_sqlstate", "message"}. Columns are kept only for sections that
// finished; they come from `shapes[i]` when given, else from the section's table.
std::string encode_results(const std::vector<model::SectionResult>& sections,
                           const std::vector<SectionShape>& shapes = {});

// A chunk's rows: a JSON array of rows, each an array of PostgreSQL's text values
// or null ([["1", null], ["2", ""]]). Invalid UTF-8 becomes U+FFFD.
void append_chunk_row(std::string& chunk, const PGresult* result, int row);  // "[..]"
std::string encode_rows(const model::Table& table);  // the whole chunk, "[[..],..]"
// Appends a chunk's rows to `cells`; what is not a row of strings and nulls is skipped.
void decode_rows(std::string_view chunk,
                 std::vector<std::vector<std::optional<std::string>>>& cells);
std::vector<model::ColumnSpec> decode_columns(std::string_view json);

// One asyncpage.job_results row as read back (columns as jsonb text), with its
// rows when they were read too (a chunk's text).
struct StoredSection {
    std::string name;
    std::string status;
    double elapsed_ms = 0;
    std::string columns;  // jsonb text
    std::string rows;     // chunk text, or empty: no table is made
    std::optional<std::string> sqlstate, message;
};
model::SectionResult decode_section(const StoredSection& stored);
// A page from the stored sections: its status as a live page would have it, its
// elapsed time the longest section's.
model::PageResult assemble_page(std::vector<model::SectionResult> sections);

// The job JSON (and the params JSON) as the wait screen reads them.
model::JobView decode_job_view(const std::string& json, std::string_view params);

}  // namespace asyncpage::jobs
