#pragma once
// HTML for background jobs: the wait screen at GET /jobs/ID and the
// result page at GET /jobs/ID/result?format=html. Pure rendering: no I/O.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/job.hpp"
#include "model/result.hpp"
#include "reports/report.hpp"

namespace asyncpage::render {

using model::is_final_state;
using model::JobView;
using model::PageResult;

// GET /jobs/ID (HTML). `report` is null when the report file no longer exists (the
// title is then job.report). `result` is set when the job is finished and its stored
// result was loaded: its sections are rendered inside #job-result as on a report
// page, with CSV links to /jobs/ID/result?format=csv&section=S.
//
// Stable hooks for the script and the browser test: <main id="job" data-job="JSON"
// data-state="STATE" data-now="MS">, #job-state (badge), #job-bar (role=progressbar,
// aria-valuenow when progress is known, inner .progress-fill whose width N% the
// script sets; class indeterminate when unknown and not final), #job-percent, #job-message,
// #job-elapsed, #job-cancel (form, only while not final), #job-cancel-status,
// #job-error (with #job-error-message, #job-error-sqlstate; hidden unless failed),
// #job-cancelled (hidden unless cancelled), #job-result. While not final, <head> has
// a <noscript> meta refresh of 2 s. A succeeded job shows its bar at 100%. <head>
// links assets/job.css and assets/job.js: no inline script or style.
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
