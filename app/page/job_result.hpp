#pragma once
// GET /jobs/ID/result: a finished job's stored result in the requested format,
// rendered as a live page would be (JSON, HTML, or one section as CSV).
#include "fcgi/request.hpp"
#include "model/job.hpp"
#include "model/result.hpp"
#include "reports/report.hpp"

namespace asyncpage::page {

// `report` is null when the report file is gone; `query` holds `section` (CSV) and
// `fragment` (HTML).
void respond_job_result(fcgi::Request& request, http::Format format, const reports::Report* report,
                        const model::JobView& job, const model::PageResult& page,
                        const http::Fields& query);

}  // namespace asyncpage::page
