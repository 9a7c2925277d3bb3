#pragma once
// HTML writers. Every value that reaches the page goes through escape_html.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "model/result.hpp"
#include "reports/params.hpp"
#include "reports/report.hpp"

namespace asyncpage::render {

using model::PageResult;
using model::PageStatus;
using model::SectionResult;
using model::SectionStatus;
using model::Table;

void append_escaped_html(std::string& out, std::string_view text);  // & < > " '
std::string escape_html(std::string_view text);
// ` name="value"` with the value escaped.
void append_attr(std::string& out, std::string_view name, std::string_view value);

// GET /: every report with its title, description and a link to /reports/NAME.
// `broken` lists report files that failed to load ("FILE:LINE: message").
std::string html_index(const std::vector<const reports::Report*>& reports,
                       const std::vector<std::string>& broken);

// GET /reports/NAME: title, description, a GET form for the params (pre-filled
// with `given`, inputs typed by param type: number, date, datetime-local, select
// for enum and bool), then, when `result` is set, one table per section with a
// notice for timeout/error/cancelled sections and for a partial page; `error`
// (a 400) is shown next to the form. With `trace`, a timeline table of each
// section's wait/begin/end. Includes a small inline script: on submit, show a
// wait indicator (spinner + elapsed seconds) until the new page loads; the form
// works without JS. Links to CSV export per section (/reports/NAME?format=csv&
// section=S&<the report's params as given>, percent-encoded). The form is
// method=get action=/reports/NAME (HTML forbids an empty action) and always sends
// run=1 (and trace=1 when `trace`), so it runs even with no params. A job report's
// form POSTs to /reports/NAME/jobs instead. NULL cells are empty <td class="null">.
// URLs built from values are percent-encoded with http::append_url_encoded.
std::string html_report(const reports::Report& report, const http::Fields& given,
                        const PageResult* result, const reports::ParamError* error, bool trace);

// A small complete page for errors (404, 405, 413, 503, ...).
std::string html_error(int status, std::string_view message);

// ---- building blocks for other pages of the same look (render/job_html.cpp) -----

// "<!DOCTYPE html>" through the opening <main> tag: the escaped title, the shared CSS,
// then `head_extra` (trusted static markup: more CSS, a <noscript> refresh; never
// data). `main_attrs` goes inside the <main> tag verbatim, so the caller escapes any
// value in it: ` id="job" data-job="..."`.
void append_page_start(std::string& out, std::string_view title, std::string_view head_extra = {},
                       std::string_view main_attrs = {});
// "</main>" through "</html>", with `script` (trusted static markup) before </body>.
void append_page_end(std::string& out, std::string_view script = {});

// What differs between the places a result is shown: where its CSV links point and
// how its time limit is named.
struct ResultOptions {
    // The CSV href is csv_prefix + the percent-encoded section name + csv_suffix; both
    // percent-encoded already (append_result HTML-escapes the whole href), e.g.
    // "/reports/NAME?format=csv&section=" and "&region=north", or
    // "/jobs/ID/result?format=csv&section=" and "".
    std::string csv_prefix;
    std::string csv_suffix;
    // Plain text for the timeout notices: "the report's 3 s timeout".
    std::string timeout_limit;
};
// A result as html_report shows it under its form: the page's status notice and line,
// then one <section> per section with its status badge, its table (NULL cells empty
// <td class="null">) or notice, and for ok sections the CSV link.
void append_result(std::string& out, const PageResult& result, const ResultOptions& options);

}  // namespace asyncpage::render
