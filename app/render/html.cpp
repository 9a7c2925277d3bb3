// HTML pages: the report index, a report's form and results, and error pages. All
// text from reports, requests and PostgreSQL goes through append_escaped_html and
// every URL built from values through http::append_url_encoded. The CSS and script
// are files of assets/ that the pages link (render/assets.hpp): no inline script or
// style, so a Content-Security-Policy without 'unsafe-inline' fits every page.
#include "render/html.hpp"

#include <array>

#include "core/units.hpp"
#include "render/assets.hpp"
#include "render/report_form.hpp"
#include "render/result_html.hpp"
#include "render/url_base.hpp"

namespace asyncpage::render {
namespace {

using reports::Report;

// What each byte becomes in HTML text and attribute values (always quoted with ").
constexpr std::array<const char*, 256> kHtmlEscapes = [] {
    std::array<const char*, 256> t{};
    t['&'] = "&amp;";
    t['<'] = "&lt;";
    t['>'] = "&gt;";
    t['"'] = "&quot;";
    t['\''] = "&#39;";
    return t;
}();

void esc(std::string& out, std::string_view text) {
    append_escaped_html(out, text);
}

void append_url(std::string& out, std::string_view text) {
    http::append_url_encoded(out, text);
}

// With `script`, the report page's scripts: assets/report.js (the wait indicator
// and the timeline's bars) and assets/table_sort.js (sortable columns).
void page_start(std::string& out, std::string_view title, bool script) {
    std::string head;
    if (script) {
        append_script(head, "report.js");
        append_script(head, "table_sort.js");
    }
    append_page_start(out, title, head);
}

std::string_view title_of(const Report& r) {
    return r.title.empty() ? r.name : r.title;
}

// A report page's CSV links: /reports/NAME?format=csv&section=S, then the params as
// given, so the export repeats this page's query; other fields (run, trace, format)
// are not the export's business.
ResultOptions report_result_options(const Report& report, const http::Fields& given) {
    ResultOptions o;
    o.csv_prefix = url_base() + "/reports/";
    append_url(o.csv_prefix, report.name);
    o.xlsx_prefix = o.csv_prefix + "?format=xlsx&section=";
    o.csv_prefix += "?format=csv&section=";
    for (const auto& p : report.params) {
        if (const std::string* v = http::find_field(given, p.name)) {
            o.csv_suffix += '&';
            append_url(o.csv_suffix, p.name);
            o.csv_suffix += '=';
            append_url(o.csv_suffix, *v);
        }
    }
    o.timeout_limit = "the report's ";
    o.timeout_limit += format_seconds(report.timeout);
    o.timeout_limit += " s timeout";
    o.report = &report;
    return o;
}

}  // namespace

void append_escaped_html(std::string& out, std::string_view text) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char* rep = kHtmlEscapes[static_cast<unsigned char>(text[i])];
        if (!rep) continue;
        out.append(text.data() + run, i - run);
        out += rep;
        run = i + 1;
    }
    out.append(text.data() + run, text.size() - run);
}

void append_page_start(std::string& out, std::string_view title, std::string_view head_extra,
                       std::string_view main_attrs) {
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
    esc(out, title);
    out += "</title>\n";
    append_stylesheet(out, "asyncpage.css");
    out += head_extra;
    out += "</head>\n<body>\n<header><a href=\"";
    esc(out, url_base());
    out += "/\">Reports</a></header>\n<main";
    out += main_attrs;
    out += ">\n";
}

void append_page_end(std::string& out) {
    out += "</main>\n</body>\n</html>\n";
}

void append_stylesheet(std::string& out, std::string_view asset) {
    out += "<link rel=\"stylesheet\"";
    append_attr(out, "href", url_base() + asset_url(asset));
    out += ">\n";
}

void append_script(std::string& out, std::string_view asset) {
    out += "<script";
    append_attr(out, "src", url_base() + asset_url(asset));
    out += " defer></script>\n";
}

void append_attr(std::string& out, std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += "=\"";
    append_escaped_html(out, value);
    out += '"';
}

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    append_escaped_html(out, text);
    return out;
}

std::string html_index(const std::vector<const reports::Report*>& reports,
                       const std::vector<std::string>& broken) {
    std::string out;
    out.reserve(4096 + reports.size() * 256);
    page_start(out, "Reports", false);
    out += "<h1>Reports</h1>\n";
    if (!broken.empty()) {
        out += "<div class=\"notice error\" role=\"alert\"><ul class=\"broken\">";
        for (const auto& b : broken) {
            out += "<li>report ";
            esc(out, b);
            out += " could not be loaded (details in the error log)</li>";
        }
        out += "</ul></div>\n";
    }
    if (reports.empty()) {
        out += "<p class=\"meta\">No reports.</p>\n";
    } else {
        out += "<ul class=\"reports\">\n";
        for (const Report* r : reports) {
            out += "<li><a href=\"";
            esc(out, url_base());
            out += "/reports/";
            append_url(out, r->name);
            out += "\">";
            esc(out, title_of(*r));
            out += "</a>";
            if (r->job) out += " <span class=\"badge cancelled\">background job</span>";
            if (!r->description.empty()) {
                out += "<p>";
                esc(out, r->description);
                out += "</p>";
            }
            out += "</li>\n";
        }
        out += "</ul>\n";
    }
    append_page_end(out);
    return out;
}

std::string html_report(const reports::Report& report, const http::Fields& given,
                        const PageResult* result, const reports::ParamError* error, bool trace) {
    std::string out;
    std::size_t estimate = 8192;
    if (result) {
        for (const auto& s : result->sections) {
            estimate += 256 + s.table.rows() * (s.table.columns() * 16 + 10);
        }
    }
    out.reserve(estimate);
    page_start(out, title_of(report), true);
    out += "<h1>";
    esc(out, title_of(report));
    out += "</h1>\n";
    if (!report.description.empty()) {
        out += "<p class=\"desc\">";
        esc(out, report.description);
        out += "</p>\n";
    }
    if (report.job) {
        out +=
            "<p class=\"meta\">Runs as a background job: the next page follows its "
            "progress.</p>\n";
    }
    append_report_form(out, report, given, error, trace);
    if (result) {
        append_result(out, *result, report_result_options(report, given));
        if (trace) append_timeline(out, *result);
    }
    append_page_end(out);
    return out;
}

std::string html_error(int status, std::string_view message) {
    std::string out;
    out.reserve(3072 + message.size());
    const char* line = http::status_line(status);
    page_start(out, line, false);
    out += "<h1>";
    esc(out, line);
    out += "</h1>\n<p class=\"notice error\">";
    esc(out, message);
    out += "</p>\n<p><a href=\"";
    esc(out, url_base());
    out += "/\">Back to the reports</a></p>\n";
    append_page_end(out);
    return out;
}

}  // namespace asyncpage::render
