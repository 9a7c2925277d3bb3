#pragma once
// The stored forms of a job, written and read with one JSON library (nlohmann):
// the params a job was created with (asyncpage.jobs.params), its result sections
// (asyncpage.job_results, written through jsonb_to_recordset), and the job JSON
// that asyncpage.job_json builds. Plain data, no I/O: the store runs the SQL.
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

// The sections as a JSON array of asyncpage.job_results rows, in file order:
// {"position", "name", "status", "elapsed_ms", "columns": [{"name", "type": OID}],
// "rows": [[text or null, ..], ..], "error_sqlstate", "message"}. Columns and rows
// are kept only for sections that finished with rows.
std::string encode_results(const std::vector<model::SectionResult>& sections);

// One asyncpage.job_results row as read back (columns and rows as jsonb text).
struct StoredSection {
    std::string name;
    std::string status;
    double elapsed_ms = 0;
    std::string columns;  // jsonb text
    std::string rows;     // jsonb text
    std::optional<std::string> sqlstate, message;
};
model::SectionResult decode_section(const StoredSection& stored);
// A page from the stored sections: its status as a live page would have it, its
// elapsed time the longest section's.
model::PageResult assemble_page(std::vector<model::SectionResult> sections);

// The job JSON (and the params JSON) as the wait screen reads them.
model::JobView decode_job_view(const std::string& json, std::string_view params);

}  // namespace asyncpage::jobs
