#pragma once
// A result's sections as HTML, as report pages and job pages show them.
#include <string>

#include "model/result.hpp"
#include "reports/report.hpp"

namespace asyncpage::render {

// What differs between the places a result is shown: where its CSV links point and
// how its time limit is named.
struct ResultOptions {
    // The CSV href is csv_prefix + the percent-encoded section name + csv_suffix; both
    // percent-encoded already (append_result HTML-escapes the whole href), e.g.
    // "/reports/NAME?format=csv&section=" and "&region=north", or
    // "/jobs/ID/result?format=csv&section=" and "".
    std::string csv_prefix;
    std::string csv_suffix;
    // The Excel link beside the CSV one: xlsx_prefix + section + csv_suffix; none
    // when empty (a job's stored result has no Excel export).
    std::string xlsx_prefix;
    // Plain text for the timeout notices: "the report's 3 s timeout".
    std::string timeout_limit;
    // The report whose sections' presentation lines (charts, formats, links) apply;
    // null when it is gone (a job of a deleted report): plain tables then.
    const reports::Report* report = nullptr;
};

// The page's status notice and line, then one <section> per section with its status
// badge, its charts (render/chart_svg.hpp), its table (NULL cells empty
// <td class="null">; values formatted by render/value_format.hpp, number and time
// columns' headers marked data-type for assets/table_sort.js, a cell whose text
// cannot be sorted by carrying its value in data-v; linked columns' cells as
// <a>) or notice,
// and for ok sections the CSV link; under a table that max_rows cut (SectionResult::truncated),
// "First N rows only" and the CSV link again.
void append_result(std::string& out, const model::PageResult& result, const ResultOptions& options);

// ?trace=1: a table of when each section waited, began and ended, with a bar per
// section on the page's time scale (<span class="bar STATUS" data-begin="P"
// data-width="P">, percentages that assets/report.js applies).
void append_timeline(std::string& out, const model::PageResult& page);

}  // namespace asyncpage::render
