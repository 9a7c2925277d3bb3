// A result as HTML: the page's status notice and line, one <section> per section
// (status badge, table or notice, CSV link) and the trace timeline. Shared by report
// pages and job pages.
#include "render/result_html.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "model/pg_types.hpp"
#include "render/cell_link.hpp"
#include "render/chart_svg.hpp"
#include "render/html.hpp"
#include "render/value_format.hpp"

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

void append_csv_url(std::string& out, const SectionResult& s, const ResultOptions& o) {
    std::string url = o.csv_prefix;
    append_url(url, s.name);
    url += o.csv_suffix;
    esc(out, url);  // the & separators
}

// A column's presentation: its format, its link (whose placeholders name columns
// of the same row), and how its header sorts.
struct ColumnView {
    const reports::ColumnFormat* format = nullptr;
    const reports::ColumnLink* link = nullptr;
    ValueClass kind = ValueClass::Text;
};

// `truncated`: the table holds the first rows only (max_rows). `p`: the section's
// presentation lines, or null.
void append_table(std::string& out, const Table& t, bool truncated,
                  const reports::Presentation* p) {
    std::size_t cols = t.columns();
    std::size_t rows = t.rows();
    if (cols == 0) {
        out += "<p class=\"meta\">No rows.</p>\n";
        return;
    }
    reserve_more(out, 64 + cols * 24 + rows * (cols * 24 + 10));
    out += "<div class=\"scroll\"><table class=\"results\">\n<thead><tr>";
    std::vector<ColumnView> view(cols);
    for (std::size_t c = 0; c < cols; ++c) {
        if (p) {
            view[c].format = p->format_of(t.column_name(c));
            view[c].link = p->link_of(t.column_name(c));
        }
        view[c].kind = value_class(t.column_type(c), view[c].format);
        // Headers say how their column sorts (assets/table_sort.js): numbers by
        // value (a cell's data-v, else its text without the grouping commas),
        // times by the exact value (the title, else the text), the rest as text.
        switch (view[c].kind) {
            case ValueClass::Number:
                out += "<th scope=\"col\" class=\"n\" data-type=\"number\">";
                break;
            case ValueClass::Time:
                out += "<th scope=\"col\" data-type=\"time\">";
                break;
            case ValueClass::Text:
                out += "<th scope=\"col\">";
                break;
        }
        esc(out, t.column_name(c));
        out += "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    FormattedValue cell;
    std::size_t row = 0;
    const ValueOf value_of = [&](std::string_view column) -> std::optional<std::string_view> {
        for (std::size_t c = 0; c < cols; ++c) {
            if (t.column_name(c) == column) {
                if (t.is_null(row, c)) return std::nullopt;
                return t.value(row, c);
            }
        }
        return std::nullopt;
    };
    for (; row < rows; ++row) {
        out += "<tr>";
        for (std::size_t c = 0; c < cols; ++c) {
            if (t.is_null(row, c)) {
                // Empty, so copying the table copies no "NULL" text; CSS shows it.
                out += "<td class=\"null\"></td>";
                continue;
            }
            std::string_view raw = t.value(row, c);
            format_value(raw, t.column_type(c), view[c].format, cell);
            out += view[c].kind == ValueClass::Number ? "<td class=\"n\"" : "<td";
            if (!cell.title.empty()) append_attr(out, "title", cell.title);
            if (!cell.sort.empty() && cell.sort != cell.text) append_attr(out, "data-v", cell.sort);
            out += '>';
            std::optional<std::string> href;
            if (view[c].link) href = link_url(*view[c].link, value_of);
            if (href) {
                out += "<a";
                append_attr(out, "href", *href);
                out += '>';
            }
            esc(out, cell.text);
            if (href) out += "</a>";
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

const reports::Presentation* presentation_of(const ResultOptions& o, const std::string& section) {
    if (!o.report) return nullptr;
    for (const reports::Section& s : o.report->sections) {
        if (s.name == section) return s.presentation.empty() ? nullptr : &s.presentation;
    }
    return nullptr;
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
        case SectionStatus::Ok: {
            const reports::Presentation* p = presentation_of(o, s.name);
            if (p && s.table.columns() > 0 && !p->charts.empty()) {
                // Side by side where the page is wide enough (asyncpage.css).
                out += "<div class=\"charts\">\n";
                for (std::size_t k = 0; k < p->charts.size(); ++k) {
                    append_chart(out, s.table, p->charts[k],
                                 "chart-" + s.name + "-" + std::to_string(k));
                }
                out += "</div>\n";
            }
            append_table(out, s.table, s.truncated, p);
            if (s.truncated) append_truncated(out, s, o);
            if (!s.message.empty()) {  // e.g. a stored job result shown in part
                out += "<p class=\"notice\">";
                esc(out, s.message);
                out += "</p>\n";
            }
            break;
        }
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
