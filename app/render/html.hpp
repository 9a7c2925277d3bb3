#pragma once
// HTML writers. Every value that reaches the page goes through escape_html.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "model/result.hpp"
#include "render/result_html.hpp"
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
// `broken` names the report files that failed to load (no paths, no messages).
std::string html_index(const std::vector<const reports::Report*>& reports,
                       const std::vector<std::string>& broken);

// GET /reports/NAME: title, description, a GET form for the params (pre-filled
// with `given`, inputs typed by param type: number, date, datetime-local, select
// for enum and bool), then, when `result` is set, one table per section with a
// notice for timeout/error/cancelled sections and for a partial page; `error`
// (a 400) is shown next to the form. With `trace`, a timeline table of each
// section's wait/begin/end. Links assets/report.js: on submit, it shows a
// wait indicator (spinner + elapsed seconds) until the new page loads; the form
// works without JS. No inline script or style on any page. Links to CSV export per
// section (/reports/NAME?format=csv&section=S&<the report's params as given>,
// percent-encoded). The form is
// method=get action=/reports/NAME (HTML forbids an empty action) and always sends
// run=1 (and trace=1 when `trace`), so it runs even with no params. A job report's
// form POSTs to /reports/NAME/jobs instead. NULL cells are empty <td class="null">.
// URLs built from values are percent-encoded with http::append_url_encoded.
std::string html_report(const reports::Report& report, const http::Fields& given,
                        const PageResult* result, const reports::ParamError* error, bool trace);

// A small complete page for errors (404, 405, 413, 503, ...).
std::string html_error(int status, std::string_view message);

// ---- building blocks for other pages of the same look (render/job_html.cpp) -----

// "<!DOCTYPE html>" through the opening <main> tag: the escaped title, the link to
// the shared stylesheet (assets/asyncpage.css), then `head_extra` (trusted static
// markup: append_stylesheet, append_script, a <noscript> refresh; never data).
// `main_attrs` goes inside the <main> tag verbatim, so the caller escapes any value
// in it: ` id="job" data-job="..."`.
void append_page_start(std::string& out, std::string_view title, std::string_view head_extra = {},
                       std::string_view main_attrs = {});
// "</main>" through "</html>".
void append_page_end(std::string& out);
// <link rel="stylesheet" href="/assets/NAME-HASH.css"> for the file assets/`asset`.
void append_stylesheet(std::string& out, std::string_view asset);
// <script src="/assets/NAME-HASH.js" defer></script> for the file assets/`asset`:
// deferred, so it may sit in <head> and still finds the whole document.
void append_script(std::string& out, std::string_view asset);

}  // namespace asyncpage::render
