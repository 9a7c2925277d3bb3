// render: HTML escaping everywhere data reaches a page, the typed form, results,
// notices, the CSV links, the index and error pages, and well-formed markup.
#include <boost/test/unit_test.hpp>

#include "markup.hpp"

#include "render/assets.hpp"
#include "render/html.hpp"
#include "render/url_base.hpp"

using namespace asyncpage;
using namespace asyncpage::model;
using namespace asyncpage::render;
using reports::ParamSpec;
using reports::ParamType;
using reports::Report;

namespace {

const std::string kHostile = "<b>&\"'</script>";
const std::string kHostileEscaped = "&lt;b&gt;&amp;&quot;&#39;&lt;/script&gt;";

using markup::count;

bool has(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

void expect_document(const std::string& html) {
    BOOST_TEST(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">",
                          0) == 0u);
    BOOST_TEST(has(html, "<meta name=\"viewport\""));
    BOOST_TEST(html.size() >= 8);
    BOOST_TEST(html.substr(html.size() - 8) == "</html>\n");
    BOOST_TEST(markup::check_markup(html) == "");
    // Every page links the shared stylesheet and holds no inline script or style.
    BOOST_TEST(count(html, "<link rel=\"stylesheet\" href=\"" + asset_url("asyncpage.css") +
                               "\">\n") == 1u);
    BOOST_TEST(html.find("<link rel=\"stylesheet\"") < html.find("</head>"));
    BOOST_TEST(markup::inline_code(html) == "");
}

// The report page's scripts, deferred, in <head>: the wait indicator's and the
// sortable tables'.
const std::string& report_script() {
    static const std::string tag = "<script src=\"" + asset_url("report.js") +
                                   "\" defer></script>\n<script src=\"" +
                                   asset_url("table_sort.js") + "\" defer></script>\n</head>";
    return tag;
}

ParamSpec param(std::string name, ParamType type) {
    ParamSpec p;
    p.name = std::move(name);
    p.type = type;
    return p;
}

Report orders() {
    Report r;
    r.name = "orders";
    r.title = "Orders by region";
    r.description = "Totals and the largest orders.";
    r.timeout = std::chrono::seconds(3);
    ParamSpec region = param("region", ParamType::Text);
    region.required = true;
    region.maxlen = 20;
    ParamSpec lim = param("lim", ParamType::Int);
    lim.default_value = "100";
    lim.min = "1";
    lim.max = "10000";
    ParamSpec since = param("since", ParamType::Date);
    since.default_value = "2024-01-01";
    since.min = "2020-01-01";
    ParamSpec at = param("at", ParamType::Timestamp);
    at.max = "2030-01-01 00:00:00";
    ParamSpec amount = param("amount", ParamType::Numeric);
    ParamSpec big = param("big", ParamType::Bigint);
    ParamSpec flag = param("flag", ParamType::Bool);
    ParamSpec kind = param("kind", ParamType::Enum);
    kind.enum_values = {"a", "b", "c"};
    r.params = {region, lim, since, at, amount, big, flag, kind};
    r.sections = {{"totals", "", {}, 10, {}}, {"largest", "", {}, 13, {}}};
    return r;
}

SectionResult ok(std::string name, Table t, double ms = 4) {
    SectionResult s;
    s.name = std::move(name);
    s.status = SectionStatus::Ok;
    s.elapsed_ms = ms;
    s.table = std::move(t);
    return s;
}

PageResult one_table_page() {
    PageResult p;
    p.report = "orders";
    p.elapsed_ms = 12.4;
    p.wait_ms = 0.5;
    p.sections.push_back(
        ok("totals", make_table({{"region", 25}, {"total", 1700}, {"n", 23}},
                                {{"north", "10.50", "3"}, {"south", std::nullopt, "0"}})));
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(html)

BOOST_AUTO_TEST_CASE(escape_every_special_character) {
    BOOST_TEST(escape_html("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    BOOST_TEST(escape_html("") == "");
    BOOST_TEST(escape_html("plain text, caf\xC3\xA9") == "plain text, caf\xC3\xA9");
    BOOST_TEST(escape_html("&&") == "&amp;&amp;");
    BOOST_TEST(escape_html("&amp;") == "&amp;amp;");
    BOOST_TEST(escape_html(kHostile) == kHostileEscaped);
    std::string out = "x";
    append_escaped_html(out, "<");
    append_escaped_html(out, "y>");
    BOOST_TEST(out == "x&lt;y&gt;");
}

BOOST_AUTO_TEST_CASE(index_lists_reports_with_links) {
    Report a = orders();
    Report b;
    b.name = "no title";  // falls back to its name; the link is percent-encoded
    b.job = true;
    std::string html = html_index({&a, &b}, {});
    expect_document(html);
    BOOST_TEST(has(html, "<title>Reports</title>"));
    BOOST_TEST(has(html,
                   "<li><a href=\"/reports/orders\">Orders by region</a>"
                   "<p>Totals and the largest orders.</p></li>"));
    BOOST_TEST(has(html, "<li><a href=\"/reports/no%20title\">no title</a>"));
    BOOST_TEST(has(html, "background job"));
    BOOST_TEST(!has(html, "could not be loaded"));
    BOOST_TEST(!has(html, "<script"));
}

// README, "Mounting under a prefix": inside a UrlBase every absolute link of a
// page starts with the prefix; outside it the links are as before.
BOOST_AUTO_TEST_CASE(links_carry_the_url_base) {
    Report a = orders();
    {
        UrlBase base("/sub");
        std::string index = html_index({&a}, {});
        BOOST_TEST(has(index, "<li><a href=\"/sub/reports/orders\">"));
        BOOST_TEST(has(index, "<header><a href=\"/sub/\">Reports</a></header>"));
        BOOST_TEST(has(index, "href=\"/sub" + asset_url("asyncpage.css") + "\""));
        std::string form = html_report(a, {}, nullptr, nullptr, false);
        BOOST_TEST(has(form, "action=\"/sub/reports/orders\""));
        std::string error = html_error(404, "no such report: x");
        BOOST_TEST(has(error, "<a href=\"/sub/\">Back to the reports</a>"));
        for (const std::string& html : {index, form, error}) {
            BOOST_TEST(!has(html, "href=\"/reports"), "a link without the prefix");
            BOOST_TEST(!has(html, "href=\"/assets"), "an asset without the prefix");
            BOOST_TEST(!has(html, "href=\"/\""), "a root link without the prefix");
        }
    }
    BOOST_TEST(url_base().empty(), "the prefix outlived its scope");
    BOOST_TEST(has(html_index({&a}, {}), "<li><a href=\"/reports/orders\">"));
}

BOOST_AUTO_TEST_CASE(index_empty_and_broken_files) {
    std::string html = html_index({}, {"bad" + kHostile});
    expect_document(html);
    BOOST_TEST(has(html, "No reports."));
    BOOST_TEST(has(html, "<ul class=\"broken\"><li>report bad" + kHostileEscaped +
                             " could not be loaded (details in the error log)</li></ul>"));
}

BOOST_AUTO_TEST_CASE(index_escapes_everything) {
    Report r;
    r.name = kHostile;
    r.title = kHostile;
    r.description = kHostile;
    std::string html = html_index({&r}, {kHostile});
    expect_document(html);
    BOOST_TEST(!has(html, kHostile));
    BOOST_TEST(count(html, kHostileEscaped) == 3u);  // title, description, broken
    BOOST_TEST(has(html, "href=\"/reports/%3Cb%3E%26%22%27%3C%2Fscript%3E\""));
    BOOST_TEST(!has(html, "<script"));
}

BOOST_AUTO_TEST_CASE(form_inputs_by_param_type) {
    Report r = orders();
    http::Fields given = {{"region", "north"},
                          {"at", "2024-01-01 10:00"},
                          {"flag", "yes"},
                          {"kind", "b"},
                          {"big", "9007199254740993"}};
    std::string html = html_report(r, given, nullptr, nullptr, false);
    expect_document(html);
    BOOST_TEST(has(html, "<title>Orders by region</title>"));
    BOOST_TEST(has(
        html, "<h1>Orders by region</h1>\n<p class=\"desc\">Totals and the largest orders.</p>"));
    BOOST_TEST(has(html, "<form id=\"run-form\" method=\"get\" action=\"/reports/orders\">"));
    BOOST_TEST(has(html,
                   "<label>region <span class=\"req\" aria-hidden=\"true\">*</span>"
                   "<input type=\"text\" maxlength=\"20\" name=\"region\" id=\"p-region\" "
                   "required value=\"north\"></label>"));
    // Defaults pre-fill what was not given.
    BOOST_TEST(has(html,
                   "<label>lim<input type=\"number\" step=\"1\" min=\"1\" max=\"10000\" "
                   "name=\"lim\" id=\"p-lim\" value=\"100\"></label>"));
    BOOST_TEST(has(html,
                   "<input type=\"date\" min=\"2020-01-01\" name=\"since\" id=\"p-since\" "
                   "value=\"2024-01-01\">"));
    BOOST_TEST(has(html,
                   "<input type=\"datetime-local\" step=\"1\" max=\"2030-01-01T00:00:00\" "
                   "name=\"at\" id=\"p-at\" value=\"2024-01-01T10:00\">"));
    BOOST_TEST(has(html, "<input type=\"text\" inputmode=\"decimal\""));
    BOOST_TEST(has(html, "name=\"amount\" id=\"p-amount\" value=\"\">"));
    BOOST_TEST(has(html,
                   "<input type=\"number\" step=\"1\" name=\"big\" id=\"p-big\" "
                   "value=\"9007199254740993\">"));
    BOOST_TEST(has(html,
                   "<select name=\"flag\" id=\"p-flag\"><option value=\"\">(none)</option>"
                   "<option value=\"true\" selected>true</option>"
                   "<option value=\"false\">false</option></select>"));
    BOOST_TEST(has(html,
                   "<select name=\"kind\" id=\"p-kind\"><option value=\"\">(none)</option>"
                   "<option value=\"a\">a</option><option value=\"b\" selected>b</option>"
                   "<option value=\"c\">c</option></select>"));
    BOOST_TEST(count(html, " required") == 1u);
    BOOST_TEST(has(html, "<input type=\"hidden\" name=\"run\" value=\"1\">"));
    BOOST_TEST(!has(html, "name=\"trace\""));
    BOOST_TEST(has(html, "<button type=\"submit\">Run</button>"));
    BOOST_TEST(!has(html, "aria-invalid=\"true\""));
    BOOST_TEST(!has(html, "<table"));
    // The wait indicator and its script.
    BOOST_TEST(has(html, "<span id=\"wait\" class=\"wait\" role=\"status\" hidden>"));
    BOOST_TEST(count(html, report_script()) == 1u);
    BOOST_TEST(count(html, "<script") == 2u);
}

BOOST_AUTO_TEST_CASE(form_given_empty_value_stays_empty) {
    Report r = orders();
    std::string html = html_report(r, {{"lim", ""}, {"flag", "off"}}, nullptr, nullptr, false);
    BOOST_TEST(has(html, "name=\"lim\" id=\"p-lim\" value=\"\">"));
    BOOST_TEST(has(html, "<option value=\"false\" selected>false</option>"));
}

BOOST_AUTO_TEST_CASE(form_with_default_select_and_trace) {
    Report r = orders();
    r.params[7].default_value = "c";
    r.params[7].required = true;
    r.params[6].required = true;
    std::string html = html_report(r, {}, nullptr, nullptr, true);
    BOOST_TEST(has(html,
                   "<select name=\"flag\" id=\"p-flag\" required><option value=\"\">(choose)"
                   "</option><option value=\"true\">true</option>"));
    BOOST_TEST(has(html,
                   "<select name=\"kind\" id=\"p-kind\" required><option value=\"\">(default)"
                   "</option><option value=\"a\">a</option><option value=\"b\">b</option>"
                   "<option value=\"c\" selected>c</option></select>"));
    BOOST_TEST(has(html, "<input type=\"hidden\" name=\"trace\" value=\"1\">"));
}

BOOST_AUTO_TEST_CASE(form_without_params_still_runs) {
    Report r;
    r.name = "plain";
    std::string html = html_report(r, {}, nullptr, nullptr, false);
    expect_document(html);
    BOOST_TEST(has(html, "<title>plain</title>"));
    BOOST_TEST(has(html,
                   "<form id=\"run-form\" method=\"get\" action=\"/reports/plain\">\n"
                   "<input type=\"hidden\" name=\"run\" value=\"1\">\n"
                   "<button type=\"submit\">Run</button>"));
    BOOST_TEST(!has(html, "class=\"desc\""));
}

BOOST_AUTO_TEST_CASE(job_report_form_posts_to_jobs) {
    Report r = orders();
    r.name = "big export";
    r.job = true;
    std::string html = html_report(r, {}, nullptr, nullptr, false);
    expect_document(html);
    BOOST_TEST(
        has(html, "<form id=\"run-form\" method=\"post\" action=\"/reports/big%20export/jobs\">"));
    BOOST_TEST(has(html, "<button type=\"submit\">Start job</button>"));
}

BOOST_AUTO_TEST_CASE(param_error_notice_and_invalid_field) {
    Report r = orders();
    reports::ParamError err{"lim", "lim: must be an integer between 1 and 10000"};
    std::string html = html_report(r, {{"lim", "0"}}, nullptr, &err, false);
    expect_document(html);
    BOOST_TEST(has(html,
                   "<p class=\"notice error\" id=\"param-error\" role=\"alert\">Parameter "
                   "<strong>lim</strong>: must be an integer between 1 and 10000</p>"));
    BOOST_TEST(has(html,
                   "name=\"lim\" id=\"p-lim\" aria-invalid=\"true\" "
                   "aria-describedby=\"param-error\" value=\"0\">"));
    BOOST_TEST(count(html, "aria-invalid=\"true\"") == 1u);
    // A required select marks the select.
    reports::ParamError err2{"kind", "kind: must be one of a, b, c"};
    html = html_report(r, {{"kind", "z"}}, nullptr, &err2, false);
    BOOST_TEST(has(html,
                   "<select name=\"kind\" id=\"p-kind\" aria-invalid=\"true\" "
                   "aria-describedby=\"param-error\">"));
    BOOST_TEST(has(html, "<strong>kind</strong>: must be one of a, b, c</p>"));
}

BOOST_AUTO_TEST_CASE(result_table) {
    Report r = orders();
    PageResult p = one_table_page();
    http::Fields given = {
        {"run", "1"}, {"region", "north & south"}, {"lim", "5"}, {"format", "html"}, {"x", "y"}};
    std::string html = html_report(r, given, &p, nullptr, false);
    expect_document(html);
    BOOST_TEST(has(html,
                   "<p class=\"meta\" id=\"page-status\">Status ok &middot; 12 ms total "
                   "&middot; 0.5 ms waiting for connections</p>"));
    BOOST_TEST(!has(html, "class=\"notice"));
    BOOST_TEST(
        has(html,
            "<section>\n<h2>totals <span class=\"badge ok\">ok</span> <span class=\"meta\">"
            "4.0 ms</span> <a class=\"csv\" href=\"/reports/orders?format=csv&amp;"
            "section=totals&amp;region=north%20%26%20south&amp;lim=5\" download>CSV</a>"
            " <a class=\"xlsx\" href=\"/reports/orders?format=xlsx&amp;section=totals&amp;"
            "region=north%20%26%20south&amp;lim=5\" download>Excel</a></h2>\n"
            "<div class=\"scroll\"><table class=\"results\">\n<thead><tr><th scope=\"col\">"
            "region</th><th scope=\"col\" class=\"n\" data-type=\"number\">total</th>"
            "<th scope=\"col\" class=\"n\" data-type=\"number\">n</th></tr></thead>\n<tbody>\n"
            "<tr><td>north</td><td class=\"n\">10.50</td><td class=\"n\">3</td></tr>\n"
            "<tr><td>south</td><td class=\"null\"></td><td class=\"n\">0</td></tr>\n"
            "</tbody>\n</table></div>\n<p class=\"meta\">2 rows</p>\n</section>\n"));
    // The stylesheet every page links shows the empty NULL cells as "NULL".
    BOOST_TEST(
        has(find_asset(asset_url("asyncpage.css"))->body, "td.null::after{content:\"NULL\""));
    BOOST_TEST(!has(html, "Timeline"));
}

// max_rows cut a section: its table is the first rows, said so under it, with a
// link to all of them (the CSV export, same params, escaped) instead of "N rows".
BOOST_AUTO_TEST_CASE(truncated_section_says_first_rows_and_links_its_csv) {
    Report r = orders();
    PageResult p = one_table_page();
    p.sections[0].truncated = true;
    p.sections.push_back(ok("whole", make_table({{"a", 25}}, {{"x"}, {"y"}, {"z"}})));
    http::Fields given = {{"run", "1"}, {"region", kHostile}};
    std::string html = html_report(r, given, &p, nullptr, false);
    expect_document(html);
    const std::string href =
        "/reports/orders?format=csv&amp;section=totals&amp;region=%3Cb%3E%26%22%27%3C%2Fscript%3E";
    BOOST_TEST(has(html,
                   "</tbody>\n</table></div>\n<p class=\"notice warn truncated\" role=\"status\">"
                   "First 2 rows only: the page stops at its max_rows and the query was stopped "
                   "there. <a class=\"csv\" href=\"" +
                       href + "\" download>All rows as CSV</a></p>\n</section>"),
               html);
    BOOST_TEST(!has(html, "<p class=\"meta\">2 rows</p>"));
    // The section's own CSV link in its heading stays, for both sections.
    BOOST_TEST(count(html, "href=\"" + href + "\"") == 2u);
    BOOST_TEST(count(html, "First ") == 1u);
    BOOST_TEST(has(html, "</table></div>\n<p class=\"meta\">3 rows</p>\n</section>"));
}

BOOST_AUTO_TEST_CASE(result_without_rows) {
    Report r = orders();
    PageResult p;
    p.sections.push_back(ok("empty", make_table({{"a", 25}}, {})));
    p.sections.push_back(ok("one", make_table({{"a", 25}}, {{"x"}}), 250.4));
    std::string html = html_report(r, {}, &p, nullptr, false);
    expect_document(html);
    BOOST_TEST(has(html, "<tbody>\n</tbody>\n</table></div>\n<p class=\"meta\">No rows.</p>"));
    BOOST_TEST(has(html, "<p class=\"meta\">1 row</p>"));
    BOOST_TEST(has(html, "<span class=\"meta\">250 ms</span>"));
}

BOOST_AUTO_TEST_CASE(partial_page_notices) {
    Report r = orders();
    PageResult p = one_table_page();
    p.status = PageStatus::Partial;
    SectionResult slow;
    slow.name = "slow";
    slow.status = SectionStatus::Timeout;
    p.sections.push_back(std::move(slow));
    SectionResult broken;
    broken.name = "broken";
    broken.status = SectionStatus::Error;
    broken.sqlstate = "42P01";
    broken.message = "relation \"nope\" does not exist";
    p.sections.push_back(std::move(broken));
    SectionResult gone;
    gone.name = "gone";
    gone.status = SectionStatus::Cancelled;
    gone.message = "client went away";
    p.sections.push_back(std::move(gone));
    std::string html = html_report(r, {}, &p, nullptr, false);
    expect_document(html);
    BOOST_TEST(has(html,
                   "<p class=\"notice warn\" role=\"status\">Some sections did not finish: "
                   "slow (timeout), broken (error), gone (cancelled).</p>"));
    BOOST_TEST(has(html,
                   "<h2>slow <span class=\"badge timeout\">timeout</span></h2>\n"
                   "<p class=\"notice warn\">Did not finish within the report&#39;s 3 s "
                   "timeout &mdash; cancelled.</p>"));
    BOOST_TEST(has(html,
                   "<h2>broken <span class=\"badge error\">error</span></h2>\n"
                   "<p class=\"notice error\">PostgreSQL error <code>42P01</code>: relation "
                   "&quot;nope&quot; does not exist</p>"));
    BOOST_TEST(has(html,
                   "<h2>gone <span class=\"badge cancelled\">cancelled</span></h2>\n"
                   "<p class=\"notice warn\">Cancelled. client went away</p>"));
    // Only finished sections link to an export.
    BOOST_TEST(count(html, "class=\"csv\"") == 1u);
}

BOOST_AUTO_TEST_CASE(timeouts_in_seconds) {
    Report r = orders();
    PageResult p;
    p.status = PageStatus::Timeout;
    SectionResult slow;
    slow.name = "slow";
    slow.status = SectionStatus::Timeout;
    p.sections.push_back(std::move(slow));
    r.timeout = std::chrono::milliseconds(1500);
    std::string html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(has(html,
                   "<p class=\"notice error\" role=\"alert\">No section finished within the "
                   "report&#39;s 1.5 s timeout.</p>"));
    BOOST_TEST(has(html, "report&#39;s 1.5 s timeout &mdash; cancelled."));
    r.timeout = std::chrono::milliseconds(250);
    html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(has(html, "report&#39;s 0.25 s timeout &mdash; cancelled."));
    r.timeout = std::chrono::milliseconds(60005);
    html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(has(html, "report&#39;s 60.005 s timeout"));
}

BOOST_AUTO_TEST_CASE(page_error_and_unavailable) {
    Report r = orders();
    PageResult p;
    p.status = PageStatus::Error;
    std::string html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(has(html, "<p class=\"notice error\" role=\"alert\">Every section failed.</p>"));
    p.status = PageStatus::Unavailable;
    html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(has(html,
                   "<p class=\"notice error\" role=\"alert\">The database is unavailable: no "
                   "connection could be had within the report&#39;s 3 s timeout.</p>"));
    BOOST_TEST(has(html, "Status unavailable &middot;"));
}

BOOST_AUTO_TEST_CASE(trace_timeline) {
    Report r = orders();
    PageResult p = one_table_page();
    p.elapsed_ms = 20;
    p.sections[0].wait_ms = 1;
    p.sections[0].begin_ms = 2;
    p.sections[0].end_ms = 12;
    SectionResult never;
    never.name = "never";
    never.status = SectionStatus::Timeout;
    never.wait_ms = 20;
    p.sections.push_back(std::move(never));
    std::string html = html_report(r, {}, &p, nullptr, true);
    expect_document(html);
    BOOST_TEST(has(html, "<h2>Timeline</h2>"));
    BOOST_TEST(has(html,
                   "<tr><td>totals</td><td class=\"n\">1.0</td><td class=\"n\">2.0</td>"
                   "<td class=\"n\">12</td><td>ok</td><td class=\"bars\">"
                   "<span class=\"bar ok\" data-begin=\"10.0\" data-width=\"50.0\"></span>"
                   "</td></tr>"));
    BOOST_TEST(has(html,
                   "<tr><td>never</td><td class=\"n\">20</td><td class=\"n\">&mdash;</td>"
                   "<td class=\"n\">&mdash;</td><td>timeout</td><td class=\"bars\">"
                   "</td></tr>"));
    // report.js turns the data into the bars' offsets and widths.
    BOOST_TEST(count(html, report_script()) == 1u);
}

BOOST_AUTO_TEST_CASE(report_page_escapes_everything) {
    Report r = orders();
    r.name = kHostile;
    r.title = kHostile;
    r.description = kHostile;
    r.params[0].name = kHostile;  // the parser forbids this; the writer must not care
    r.params[7].enum_values = {kHostile};
    r.params[1].default_value = kHostile;
    r.params[1].min = kHostile;
    PageResult p;
    p.status = PageStatus::Partial;
    p.sections.push_back(
        ok(kHostile, make_table({{kHostile, 25}, {"v", 25}},
                                {{kHostile, "</script><script>alert(1)</script>"}})));
    SectionResult err;
    err.name = kHostile;
    err.status = SectionStatus::Error;
    err.sqlstate = kHostile;
    err.message = kHostile;
    p.sections.push_back(std::move(err));
    SectionResult slow;
    slow.name = kHostile;
    slow.status = SectionStatus::Timeout;
    slow.message = kHostile;
    p.sections.push_back(std::move(slow));
    http::Fields given = {
        {kHostile, kHostile}, {"kind", kHostile}, {"at", kHostile}, {"amount", kHostile}};
    reports::ParamError perr{kHostile, kHostile};
    std::string html = html_report(r, given, &p, &perr, true);
    expect_document(html);
    BOOST_TEST(!has(html, kHostile));
    BOOST_TEST(!has(html, "<script>alert"));
    BOOST_TEST(has(html, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    BOOST_TEST(count(html, "<script") == 2u);    // ours only
    BOOST_TEST(count(html, "</script>") == 2u);  // and their ends
    BOOST_TEST(count(html, report_script()) == 1u);
    BOOST_TEST(count(html, "<b>") == 0u);
    // title, h1, description, label, input name/id/value, enum option value+label,
    // lim default+min, section names x3 (+ partial list x2, timeline x3), column
    // name, cell, sqlstate, message x2, param error x2: many; at least these.
    BOOST_TEST(count(html, kHostileEscaped) >= 25u);
    BOOST_TEST(has(html, "<title>" + kHostileEscaped + "</title>"));
    BOOST_TEST(has(html, "<th scope=\"col\">" + kHostileEscaped + "</th>"));
    BOOST_TEST(has(html, "<td>" + kHostileEscaped + "</td>"));
    BOOST_TEST(has(html, "value=\"" + kHostileEscaped + "\""));
    BOOST_TEST(has(html, "<strong>" + kHostileEscaped + "</strong>: " + kHostileEscaped + "</p>"));
    // URLs are percent-encoded, then the &s escaped.
    BOOST_TEST(has(html,
                   "href=\"/reports/%3Cb%3E%26%22%27%3C%2Fscript%3E?format=csv&amp;section="
                   "%3Cb%3E%26%22%27%3C%2Fscript%3E&amp;%3Cb%3E%26%22%27%3C%2Fscript%3E="
                   "%3Cb%3E%26%22%27%3C%2Fscript%3E"));
}

BOOST_AUTO_TEST_CASE(error_page) {
    std::string html = html_error(404, "no report named " + kHostile);
    expect_document(html);
    BOOST_TEST(has(html, "<title>404 Not Found</title>"));
    BOOST_TEST(has(html, "<h1>404 Not Found</h1>\n<p class=\"notice error\">no report named " +
                             kHostileEscaped +
                             "</p>\n<p><a href=\"/\">Back to the reports</a></p>"));
    BOOST_TEST(!has(html, kHostile));
    BOOST_TEST(!has(html, "<script"));
    BOOST_TEST(has(html_error(503, "busy"), "<h1>503 Service Unavailable</h1>"));
}

BOOST_AUTO_TEST_SUITE_END()
