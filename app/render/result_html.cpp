// A result as HTML: the page's status notice and line, one <section> per section
// (status badge, table or notice, CSV link) and the trace timeline. Shared by report
// pages and job pages.
#include "render/result_html.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "model/pg_types.hpp"
#include "render/html.hpp"

namespace asyncpage::render {
namespace {

void reserve_more(std::string& out, std::size_t n) {
    if (out.capacity() - out.size() < n) out.reserve(std::max(out.size() + n, 2 * out.capacity()));
}

void esc(std::string& out, std::string_view text) {
    append_escaped_html(out, text);
}

void append_url(std::string& out, std::string_view text) {
    http::append_url_encoded(out, text);
}

// Milliseconds for people: one decimal below 10 ms, whole above.
void append_ms(std::string& out, double ms) {
    if (!std::isfinite(ms) || ms < 0) {
        out += "&mdash;";
        return;
    }
    char buf[64];
    auto r = ms < 10 ? std::to_chars(buf, buf + sizeof buf, ms, std::chars_format::fixed, 1)
                     : std::to_chars(buf, buf + sizeof buf, std::llround(ms));
    out.append(buf, r.ptr);
}

bool is_numeric_type(Oid oid) {
    namespace t = model::pg_type;
    switch (oid) {
        case t::kInt8:
        case t::kInt2:
        case t::kInt4:
        case t::kOid:
        case t::kFloat4:
        case t::kFloat8:
        case t::kNumeric:
            return true;
        default:
            return false;
    }
}

void append_csv_url(std::string& out, const SectionResult& s, const ResultOptions& o) {
    std::string url = o.csv_prefix;
    append_url(url, s.name);
    url += o.csv_suffix;
    esc(out, url);  // the & separators
}

// `truncated`: the table holds the first rows only (max_rows).
void append_table(std::string& out, const Table& t, bool truncated) {
    std::size_t cols = t.columns();
    std::size_t rows = t.rows();
    if (cols == 0) {
        out += "<p class=\"meta\">No rows.</p>\n";
        return;
    }
    reserve_more(out, 64 + cols * 24 + rows * (cols * 16 + 10));
    out += "<div class=\"scroll\"><table>\n<thead><tr>";
    std::vector<bool> numeric(cols);
    for (std::size_t c = 0; c < cols; ++c) {
        numeric[c] = is_numeric_type(t.column_type(c));
        out += "<th>";
        esc(out, t.column_name(c));
        out += "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    for (std::size_t r = 0; r < rows; ++r) {
        out += "<tr>";
        for (std::size_t c = 0; c < cols; ++c) {
            if (t.is_null(r, c)) {
                // Empty, so copying the table copies no "NULL" text; CSS shows it.
                out += "<td class=\"null\"></td>";
                continue;
            }
            out += numeric[c] ? "<td class=\"n\">" : "<td>";
            esc(out, t.value(r, c));
            out += "</td>";
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table></div>\n";
    if (truncated) return;  // append_truncated says how many
    out += "<p class=\"meta\">";
    if (rows == 0) {
        out += "No rows.";
    } else {
        out += std::to_string(rows);
        out += rows == 1 ? " row" : " rows";
    }
    out += "</p>\n";
}

void append_csv_link(std::string& out, const SectionResult& s, const ResultOptions& o) {
    out += " <a class=\"csv\" href=\"";
    append_csv_url(out, s, o);
    out += "\" download>CSV</a>";
    if (!o.xlsx_prefix.empty()) {
        std::string url = o.xlsx_prefix;
        append_url(url, s.name);
        url += o.csv_suffix;
        out += " <a class=\"xlsx\" href=\"";
        esc(out, url);
        out += "\" download>Excel</a>";
    }
}

// Under a table that max_rows cut: how many rows it shows, and where all of them
// are (the CSV export is never capped).
void append_truncated(std::string& out, const SectionResult& s, const ResultOptions& o) {
    out += "<p class=\"notice warn truncated\" role=\"status\">First ";
    out += std::to_string(s.table.rows());
    out += s.table.rows() == 1 ? " row" : " rows";
    out +=
        " only: the page stops at its max_rows and the query was stopped there. <a "
        "class=\"csv\" href=\"";
    append_csv_url(out, s, o);
    out += "\" download>All rows as CSV</a></p>\n";
}

void append_section(std::string& out, const SectionResult& s, const ResultOptions& o) {
    out += "<section>\n<h2>";
    esc(out, s.name);
    out += " <span class=\"badge ";
    out += to_string(s.status);
    out += "\">";
    out += to_string(s.status);
    out += "</span>";
    if (s.status == SectionStatus::Ok) {
        out += " <span class=\"meta\">";
        append_ms(out, s.elapsed_ms);
        out += " ms</span>";
        append_csv_link(out, s, o);
    }
    out += "</h2>\n";
    switch (s.status) {
        case SectionStatus::Ok:
            append_table(out, s.table, s.truncated);
            if (s.truncated) append_truncated(out, s, o);
            if (!s.message.empty()) {  // e.g. a stored job result shown in part
                out += "<p class=\"notice\">";
                esc(out, s.message);
                out += "</p>\n";
            }
            break;
        case SectionStatus::Timeout:
            out += "<p class=\"notice warn\">Did not finish within ";
            esc(out, o.timeout_limit);
            // The page's own message says the same for JSON clients: not repeated.
            out += " &mdash; cancelled.</p>\n";
            break;
        case SectionStatus::Error:
            out += "<p class=\"notice error\">PostgreSQL error";
            if (!s.sqlstate.empty()) {
                out += " <code>";
                esc(out, s.sqlstate);
                out += "</code>";
            }
            out += ": ";
            esc(out, s.message);
            out += "</p>\n";
            break;
        case SectionStatus::Cancelled:
            out += "<p class=\"notice warn\">Cancelled.";
            if (!s.message.empty()) {
                out += ' ';
                esc(out, s.message);
            }
            out += "</p>\n";
            break;
    }
    out += "</section>\n";
}

void append_page_status(std::string& out, const PageResult& page, const ResultOptions& o) {
    switch (page.status) {
        case PageStatus::Ok:
            break;
        case PageStatus::Partial: {
            out += "<p class=\"notice warn\" role=\"status\">Some sections did not finish: ";
            bool first = true;
            for (const auto& s : page.sections) {
                if (s.status == SectionStatus::Ok) continue;
                if (!first) out += ", ";
                first = false;
                esc(out, s.name);
                out += " (";
                out += to_string(s.status);
                out += ')';
            }
            out += ".</p>\n";
            break;
        }
        case PageStatus::Error:
            out += "<p class=\"notice error\" role=\"alert\">Every section failed.</p>\n";
            break;
        case PageStatus::Timeout:
            out += "<p class=\"notice error\" role=\"alert\">No section finished within ";
            esc(out, o.timeout_limit);
            out += ".</p>\n";
            break;
        case PageStatus::Unavailable:
            out +=
                "<p class=\"notice error\" role=\"alert\">The database is unavailable: no "
                "connection could be had within ";
            esc(out, o.timeout_limit);
            out += ".</p>\n";
            break;
    }
    out += "<p class=\"meta\" id=\"page-status\">Status ";
    out += to_string(page.status);
    out += " &middot; ";
    append_ms(out, page.elapsed_ms);
    out += " ms total &middot; ";
    append_ms(out, page.wait_ms);
    out += " ms waiting for connections</p>\n";
}

}  // namespace

void append_result(std::string& out, const PageResult& result, const ResultOptions& options) {
    append_page_status(out, result, options);
    for (const auto& s : result.sections)
        append_section(out, s, options);
}

// A table of when each section waited, began and ended, with a bar per section on
// the page's time scale.
void append_timeline(std::string& out, const PageResult& page) {
    double scale = page.elapsed_ms;
    for (const auto& s : page.sections)
        scale = std::max(scale, s.end_ms);
    out +=
        "<section>\n<h2>Timeline</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>section"
        "</th><th>wait ms</th><th>begin ms</th><th>end ms</th><th>status</th><th></th></tr>"
        "</thead>\n<tbody>\n";
    char buf[64];
    auto pct = [&](double v) {
        double p = scale > 0 ? std::clamp(v / scale * 100, 0.0, 100.0) : 0.0;
        auto r = std::to_chars(buf, buf + sizeof buf, p, std::chars_format::fixed, 1);
        return std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
    };
    for (const auto& s : page.sections) {
        bool started = s.begin_ms >= 0;
        bool ended = started && s.end_ms >= 0;
        out += "<tr><td>";
        esc(out, s.name);
        out += "</td><td class=\"n\">";
        append_ms(out, s.wait_ms);
        out += "</td><td class=\"n\">";
        append_ms(out, started ? s.begin_ms : -1);
        out += "</td><td class=\"n\">";
        append_ms(out, ended ? s.end_ms : -1);
        out += "</td><td>";
        out += to_string(s.status);
        out += "</td><td class=\"bars\">";
        if (started) {
            double end = ended ? s.end_ms : scale;  // unfinished: ran until the page ended
            // Percentages of the scale; assets/report.js makes them the bar's offset and
            // width (a style attribute would need 'unsafe-inline').
            out += "<span class=\"bar ";
            out += to_string(s.status);
            out += "\" data-begin=\"";
            out += pct(s.begin_ms);
            out += "\" data-width=\"";
            out += pct(std::max(0.0, end - s.begin_ms));
            out += "\"></span>";
        }
        out += "</td></tr>\n";
    }
    out += "</tbody>\n</table></div>\n</section>\n";
}

}  // namespace asyncpage::render
