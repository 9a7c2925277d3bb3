#pragma once
// HTML for background jobs (DESIGN §3-§4): the wait screen at GET /jobs/ID and the
// result page at GET /jobs/ID/result?format=html. Pure rendering: no I/O.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.hpp"    // http::Fields
#include "render/result.hpp"   // PageResult, SectionResult
#include "reports/report.hpp"  // reports::Report

namespace asyncpage::render {

struct JobView {
    std::string id;               // UUID, lower case
    std::string report;           // report name
    std::string state;            // queued|running|succeeded|failed|cancelled
    std::optional<int> progress;  // 0..100 or none
    std::string message;          // latest progress message ("" when none)
    std::int64_t version = 0;
    // ISO 8601 as PostgreSQL's json gives them ("2026-11-21T22:10:03.123+00:00"), ""
    // when null.
    std::string created_at, started_at, finished_at;
    std::string error_sqlstate, error_message;  // failed jobs
    http::Fields params;                        // the params as given when the job was created
    std::string json;  // the job JSON exactly as GET /jobs/ID?format=json returns it (one line)
};

bool is_final_state(std::string_view state);  // succeeded, failed, cancelled

// GET /jobs/ID (HTML). `report` is null when the report file no longer exists (the
// title is then job.report). `result` is set when the job is finished and its stored
// result was loaded: its sections are rendered inside #job-result as on a report
// page, with CSV links to /jobs/ID/result?format=csv&section=S.
//
// Stable hooks for the script and the browser test: <main id="job" data-job="JSON"
// data-state="STATE" data-now="MS">, #job-state (badge), #job-bar (role=progressbar,
// aria-valuenow when progress is known, inner .progress-fill with width N%; class
// indeterminate when unknown and not final), #job-percent, #job-message,
// #job-elapsed, #job-cancel (form, only while not final), #job-cancel-status,
// #job-error (with #job-error-message, #job-error-sqlstate; hidden unless failed),
// #job-cancelled (hidden unless cancelled), #job-result. While not final, <head> has
// a <noscript> meta refresh of 2 s. A succeeded job shows its bar at 100%.
std::string html_job(const reports::Report* report, const JobView& job, const PageResult* result);

// GET /jobs/ID/result?format=html: the sections of a finished job's result.
// fragment=true: only the sections' markup (no <html>, no header), which the wait
// screen's script inserts into #job-result; false: a full page with the title, the
// params and a link back to /jobs/ID.
std::string html_job_result(const reports::Report* report, const JobView& job,
                            const PageResult& result, bool fragment);

// ---- helpers, exposed for tests --------------------------------------------------

// "2026-11-21T22:10:03.123456+00:00": date, 'T' or ' ', time with optional fraction
// (any number of digits, truncated to microseconds), then 'Z', "+HH", "+HH:MM" or
// "+HH:MM:SS" (or none: UTC). nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

// Whole seconds the job has waited (queued: since created_at) or run (since
// started_at, or created_at when it never started) until finished_at (final states)
// or `now`; never negative. nullopt when a timestamp it needs is missing or malformed.
std::optional<std::int64_t> job_elapsed_seconds(const JobView& job,
                                                std::chrono::system_clock::time_point now);

// "12 s", "1 min 5 s", "2 h 0 min 3 s": the wait screen's script formats the same way.
std::string format_elapsed(std::int64_t seconds);

}  // namespace asyncpage::render
