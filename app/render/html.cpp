// HTML pages: the report index, a report's form and results, and error pages. All
// text from reports, requests and PostgreSQL goes through append_escaped_html and
// every URL built from values through http::append_url_encoded; the only markup
// not built here is the static CSS and script below, which hold no data.
#include "render/html.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace asyncpage::render {
namespace {

using reports::ParamSpec;
using reports::ParamType;
using reports::Report;

// Shared by every page: readable tables, yellow/red notices, narrow screens.
constexpr std::string_view kStyle = R"css(<style>
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#fff}
header{padding:.5rem 1rem;border-bottom:1px solid #d9dee6;background:#f6f7f9}
header a{color:#1d2430;text-decoration:none;font-weight:600}
main{max-width:80rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.3rem 0 .4rem}
h2{font-size:1.1rem;margin:1.6rem 0 .5rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
a{color:#2457c5}
.desc{margin:.2rem 0 1rem;color:#444c59}
.meta{color:#5b6575;font-size:.875rem;font-weight:400}
form{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;padding:.8rem;background:#f6f7f9;border:1px solid #d9dee6;border-radius:6px}
label{display:flex;flex-direction:column;gap:.15rem;font-size:.85rem;color:#444c59;max-width:100%}
.req{color:#b3261e}
input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid #b8c0cc;border-radius:4px;background:#fff;color:#1d2430;max-width:100%}
[aria-invalid=true]{border-color:#b3261e;box-shadow:0 0 0 2px #f3c1bd}
button{background:#2457c5;border-color:#2457c5;color:#fff;padding:.4rem 1.3rem;cursor:pointer}
button:disabled{opacity:.65;cursor:progress}
.wait{display:inline-flex;align-items:center;gap:.4rem;color:#444c59;padding:.4rem 0}
.spinner{width:1em;height:1em;border:2px solid #c4cad4;border-top-color:#2457c5;border-radius:50%;animation:spin .8s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
.notice{padding:.6rem .8rem;border-radius:6px;margin:.8rem 0;border:1px solid;white-space:pre-wrap;overflow-wrap:anywhere}
.warn{background:#fff8d6;border-color:#e3c34d;color:#574300}
.error{background:#fdecea;border-color:#e49b95;color:#7a1610}
.badge{font-size:.75rem;padding:.05rem .5rem;border-radius:99px;border:1px solid;font-weight:600}
.badge.ok{background:#e6f4ea;border-color:#8fcea0;color:#1e5b2d}
.badge.timeout{background:#fff8d6;border-color:#e3c34d;color:#574300}
.badge.error{background:#fdecea;border-color:#e49b95;color:#7a1610}
.badge.cancelled{background:#eef0f3;border-color:#b8c0cc;color:#444c59}
.scroll{overflow-x:auto;border:1px solid #d9dee6;border-radius:6px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .6rem;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top;white-space:pre-wrap}
th{background:#f3f5f8;font-weight:600}
tbody tr:nth-child(even){background:#fafbfc}
td.n{text-align:right}
td.null::after{content:"NULL";color:#a3abb7;font-size:.8em}
.bar{display:block;height:.7rem;min-width:2px;background:#2457c5;border-radius:2px}
.bar.timeout{background:#e3c34d}.bar.error{background:#e49b95}.bar.cancelled{background:#b8c0cc}
ul.reports{list-style:none;padding:0}
ul.reports li{padding:.6rem 0;border-bottom:1px solid #e6e9ee}
ul.reports p{margin:.2rem 0 0;color:#444c59}
@media (max-width:40rem){main{padding:.6rem}form{flex-direction:column;align-items:stretch}}
</style>
)css";

// Progressive enhancement: the form submits normally; this only disables the
// button and counts seconds until the next page replaces this one. pageshow also
// fires when the back button restores the page from the bfcache, which would
// otherwise keep the spinner running.
constexpr std::string_view kScript = R"js(<script>
(function () {
  var form = document.getElementById("run-form");
  if (!form) return;
  var button = form.querySelector("button[type=submit]");
  var wait = document.getElementById("wait");
  var secs = document.getElementById("wait-secs");
  var timer = null;
  function reset() {
    if (timer) { clearInterval(timer); timer = null; }
    button.disabled = false;
    wait.hidden = true;
  }
  form.addEventListener("submit", function () {
    var start = Date.now();
    // Disabled after the submission has begun, so it still goes out.
    setTimeout(function () { button.disabled = true; }, 0);
    secs.textContent = "0.0";
    wait.hidden = false;
    timer = setInterval(function () {
      secs.textContent = ((Date.now() - start) / 1000).toFixed(1);
    }, 100);
  });
  window.addEventListener("pageshow", reset);
})();
</script>
)js";

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

// A duration in seconds: "3", "0.25", "1.5".
void append_seconds(std::string& out, std::chrono::milliseconds d) {
    long long ms = d.count();
    out += std::to_string(ms / 1000);
    if (long long frac = ms % 1000) {
        char buf[4] = {char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10),
                       0};
        std::string_view digits(buf, 3);
        while (digits.back() == '0')
            digits.remove_suffix(1);
        out += '.';
        out.append(digits);
    }
}

void page_start(std::string& out, std::string_view title) {
    append_page_start(out, title);
}

void page_end(std::string& out, bool script) {
    append_page_end(out, script ? kScript : std::string_view{});
}

std::string_view title_of(const Report& r) {
    return r.title.empty() ? r.name : r.title;
}

// ---- the form -------------------------------------------------------------------

// datetime-local wants "YYYY-MM-DDTHH:MM[:SS]"; params are normalised with a space.
std::string as_datetime_local(std::string_view v) {
    std::string s(v);
    if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
    return s;
}

// The select's value for a bool param as given (true/false/1/0/yes/no/on/off).
std::string_view bool_choice(std::string_view v) {
    std::string lower;
    for (char c : v)
        lower += (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    if (lower == "true" || lower == "t" || lower == "1" || lower == "yes" || lower == "on") {
        return "true";
    }
    if (lower == "false" || lower == "f" || lower == "0" || lower == "no" || lower == "off") {
        return "false";
    }
    return {};
}

void attr(std::string& out, std::string_view name, std::string_view value) {
    append_attr(out, name, value);
}

void append_option(std::string& out, std::string_view value, std::string_view label,
                   bool selected) {
    out += "<option";
    attr(out, "value", value);
    if (selected) out += " selected";
    out += '>';
    esc(out, label);
    out += "</option>";
}

void append_param_field(std::string& out, const ParamSpec& p, const std::string* given,
                        bool invalid) {
    std::string_view value = given             ? std::string_view(*given)
                             : p.default_value ? std::string_view(*p.default_value)
                                               : std::string_view{};
    out += "<label>";
    esc(out, p.name);
    if (p.required) out += " <span class=\"req\" aria-hidden=\"true\">*</span>";
    std::string id = "p-" + p.name;
    // Common attributes of the control: name, id, required, the error link.
    auto common = [&] {
        attr(out, "name", p.name);
        attr(out, "id", id);
        if (p.required) out += " required";
        if (invalid) out += " aria-invalid=\"true\" aria-describedby=\"param-error\"";
    };
    switch (p.type) {
        case ParamType::Bool:
        case ParamType::Enum: {
            out += "<select";
            common();
            out += '>';
            // An empty first option is "not given" (NULL or the default), and with
            // `required` the browser refuses to submit it. HTML wants it labelled.
            append_option(out, "",
                          p.default_value ? "(default)"
                          : p.required    ? "(choose)"
                                          : "(none)",
                          false);
            if (p.type == ParamType::Bool) {
                std::string_view choice = bool_choice(value);
                append_option(out, "true", "true", choice == "true");
                append_option(out, "false", "false", choice == "false");
            } else {
                for (const auto& v : p.enum_values)
                    append_option(out, v, v, v == value);
            }
            out += "</select></label>\n";
            return;
        }
        case ParamType::Int:
        case ParamType::Bigint:
            out += "<input type=\"number\" step=\"1\"";
            if (p.min) attr(out, "min", *p.min);
            if (p.max) attr(out, "max", *p.max);
            break;
        case ParamType::Numeric:
            out += "<input type=\"text\" inputmode=\"decimal\" pattern=\"-?[0-9]+(\\.[0-9]+)?\"";
            break;
        case ParamType::Date:
            out += "<input type=\"date\"";
            if (p.min) attr(out, "min", *p.min);
            if (p.max) attr(out, "max", *p.max);
            break;
        case ParamType::Timestamp:
            out += "<input type=\"datetime-local\" step=\"1\"";
            if (p.min) attr(out, "min", as_datetime_local(*p.min));
            if (p.max) attr(out, "max", as_datetime_local(*p.max));
            break;
        case ParamType::Text:
            out += "<input type=\"text\"";
            if (p.maxlen) attr(out, "maxlength", std::to_string(*p.maxlen));
            break;
    }
    common();
    if (p.type == ParamType::Timestamp) {
        attr(out, "value", as_datetime_local(value));
    } else {
        attr(out, "value", value);
    }
    out += "></label>\n";
}

// "lim: must be ..." → "must be ...": the notice names the param itself.
std::string_view without_param_prefix(std::string_view message, std::string_view param) {
    if (message.size() > param.size() + 1 && message.substr(0, param.size()) == param &&
        message[param.size()] == ':') {
        message.remove_prefix(param.size() + 1);
        while (!message.empty() && message.front() == ' ')
            message.remove_prefix(1);
    }
    return message;
}

void append_form(std::string& out, const Report& report, const http::Fields& given,
                 const reports::ParamError* error, bool trace) {
    if (error) {
        out += "<p class=\"notice error\" id=\"param-error\" role=\"alert\">Parameter <strong>";
        esc(out, error->param);
        out += "</strong>: ";
        esc(out, without_param_prefix(error->message, error->param));
        out += "</p>\n";
    }
    if (report.job) {
        // Job reports run in the background (DESIGN §4): the form creates a job and
        // the browser is sent on (303) to its wait screen.
        out += "<form id=\"run-form\" method=\"post\" action=\"/reports/";
        append_url(out, report.name);
        out += "/jobs\">\n";
    } else {
        // An explicit action rather than action="", which HTML forbids (it must be a
        // non-empty URL); a GET submission replaces the whole query string anyway.
        out += "<form id=\"run-form\" method=\"get\" action=\"/reports/";
        append_url(out, report.name);
        out += "\">\n";
    }
    for (const auto& p : report.params) {
        append_param_field(out, p, http::find_field(given, p.name),
                           error && error->param == p.name);
    }
    // run=1 makes a GET without params still run the report (DESIGN §3).
    out += "<input type=\"hidden\" name=\"run\" value=\"1\">\n";
    if (trace) out += "<input type=\"hidden\" name=\"trace\" value=\"1\">\n";
    out += report.job ? "<button type=\"submit\">Start job</button>\n"
                      : "<button type=\"submit\">Run</button>\n";
    out +=
        "<span id=\"wait\" class=\"wait\" role=\"status\" hidden><span class=\"spinner\"></span>"
        "Running&hellip; <span id=\"wait-secs\">0.0</span> s</span>\n</form>\n";
}

// ---- results --------------------------------------------------------------------

bool is_numeric_type(Oid oid) {
    switch (oid) {
        case 20:
        case 21:
        case 23:
        case 26:
        case 700:
        case 701:
        case 1700:
            return true;
        default:
            return false;
    }
}

void append_table(std::string& out, const Table& t) {
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
    out += "</tbody>\n</table></div>\n<p class=\"meta\">";
    if (rows == 0) {
        out += "No rows.";
    } else {
        out += std::to_string(rows);
        out += rows == 1 ? " row" : " rows";
    }
    out += "</p>\n";
}

// A report page's CSV links: /reports/NAME?format=csv&section=S, then the params as
// given, so the export repeats this page's query; other fields (run, trace, format)
// are not the export's business.
ResultOptions report_result_options(const Report& report, const http::Fields& given) {
    ResultOptions o;
    o.csv_prefix = "/reports/";
    append_url(o.csv_prefix, report.name);
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
    append_seconds(o.timeout_limit, report.timeout);
    o.timeout_limit += " s timeout";
    return o;
}

void append_csv_link(std::string& out, const SectionResult& s, const ResultOptions& o) {
    std::string url = o.csv_prefix;
    append_url(url, s.name);
    url += o.csv_suffix;
    out += " <a class=\"csv\" href=\"";
    esc(out, url);  // the & separators
    out += "\" download>CSV</a>";
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
            append_table(out, s.table);
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
        out += "</td><td style=\"min-width:8rem\">";
        if (started) {
            double end = ended ? s.end_ms : scale;  // unfinished: ran until the page ended
            out += "<span class=\"bar ";
            out += to_string(s.status);
            out += "\" style=\"margin-left:";
            out += pct(s.begin_ms);
            out += "%;width:";
            out += pct(std::max(0.0, end - s.begin_ms));
            out += "%\"></span>";
        }
        out += "</td></tr>\n";
    }
    out += "</tbody>\n</table></div>\n</section>\n";
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
    out += kStyle;
    out += head_extra;
    out += "</head>\n<body>\n<header><a href=\"/\">Reports</a></header>\n<main";
    out += main_attrs;
    out += ">\n";
}

void append_page_end(std::string& out, std::string_view script) {
    out += "</main>\n";
    out += script;
    out += "</body>\n</html>\n";
}

void append_result(std::string& out, const PageResult& result, const ResultOptions& options) {
    append_page_status(out, result, options);
    for (const auto& s : result.sections)
        append_section(out, s, options);
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
    page_start(out, "Reports");
    out += "<h1>Reports</h1>\n";
    if (!broken.empty()) {
        out +=
            "<div class=\"notice error\" role=\"alert\">Report files that failed to load:"
            "<ul class=\"broken\">";
        for (const auto& b : broken) {
            out += "<li>";
            esc(out, b);
            out += "</li>";
        }
        out += "</ul></div>\n";
    }
    if (reports.empty()) {
        out += "<p class=\"meta\">No reports.</p>\n";
    } else {
        out += "<ul class=\"reports\">\n";
        for (const Report* r : reports) {
            out += "<li><a href=\"/reports/";
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
    page_end(out, false);
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
    page_start(out, title_of(report));
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
    append_form(out, report, given, error, trace);
    if (result) {
        append_result(out, *result, report_result_options(report, given));
        if (trace) append_timeline(out, *result);
    }
    page_end(out, true);
    return out;
}

std::string html_error(int status, std::string_view message) {
    std::string out;
    out.reserve(3072 + message.size());
    const char* line = http::status_line(status);
    page_start(out, line);
    out += "<h1>";
    esc(out, line);
    out += "</h1>\n<p class=\"notice error\">";
    esc(out, message);
    out += "</p>\n<p><a href=\"/\">Back to the reports</a></p>\n";
    page_end(out, false);
    return out;
}

}  // namespace asyncpage::render
