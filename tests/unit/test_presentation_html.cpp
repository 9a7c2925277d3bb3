// Presentation lines on a report page and a job's result: charts as inline SVG
// above the table, formatted cells with their raw value kept for sorting, and
// drill-down links with percent-encoded values; all escaped, nothing inline.
#include <boost/test/unit_test.hpp>

#include "markup.hpp"

#include "model/pg_types.hpp"
#include "render/html.hpp"
#include "render/job_html.hpp"
#include "render/url_base.hpp"
#include "reports/parser.hpp"

using namespace asyncpage;
using namespace asyncpage::model;
using namespace asyncpage::render;
namespace t = model::pg_type;

namespace {

bool has(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

reports::Report report(const std::string& text) {
    auto r = reports::parse_report("dash", "dash.sql", text, std::chrono::milliseconds(5000));
    if (auto* e = std::get_if<reports::ParseError>(&r)) BOOST_FAIL(e->to_string());
    return std::get<reports::Report>(std::move(r));
}

const char* const kDashboard =
    "-- title: Dashboard\n"
    "-- section: months\n"
    "-- chart: line x=month y=revenue,orders\n"
    "-- format: revenue money, share percent\n"
    "-- link: month = /reports/orders?month={month}&c={customer}\n"
    "SELECT 1\n"
    "-- section: regions\n"
    "-- chart: bar x=region y=revenue\n"
    "-- chart: pie x=region y=revenue\n"
    "SELECT 1\n";

PageResult result(const std::string& customer) {
    PageResult p;
    p.report = "dash";
    SectionResult months;
    months.name = "months";
    months.status = SectionStatus::Ok;
    months.table =
        make_table({{"month", t::kDate},
                    {"revenue", t::kNumeric},
                    {"orders", t::kInt8},
                    {"share", t::kNumeric},
                    {"customer", t::kText},
                    {"created", t::kTimestamptz}},
                   {{"2025-01-01", "81198121.781", "41290", "0.125", customer,
                     "2026-11-28 20:02:02.382417+00"},
                    {"2025-02-01", std::nullopt, "39000", "0.5", std::nullopt, std::nullopt},
                    {"2025-03-01", "-1200", "12", std::nullopt, "x", std::nullopt}});
    p.sections.push_back(std::move(months));
    SectionResult regions;
    regions.name = "regions";
    regions.status = SectionStatus::Ok;
    regions.table = make_table({{"region", t::kText}, {"revenue", t::kNumeric}},
                               {{customer, "10"}, {"south", "30"}});
    p.sections.push_back(std::move(regions));
    return p;
}

std::string between(const std::string& s, const std::string& from, const std::string& to) {
    std::size_t a = s.find(from);
    if (a == std::string::npos) return "";
    std::size_t b = s.find(to, a);
    return s.substr(a, b == std::string::npos ? std::string::npos : b + to.size() - a);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(presentation_html)

BOOST_AUTO_TEST_CASE(charts_are_inline_svg_above_the_table) {
    reports::Report r = report(kDashboard);
    PageResult p = result("north");
    std::string html = html_report(r, {{"run", "1"}}, &p, nullptr, false);
    BOOST_TEST(markup::check_markup(html) == "");
    BOOST_TEST(markup::inline_code(html) == "");
    std::string months = between(html, "<h2>months", "</section>");
    BOOST_TEST_REQUIRE(!months.empty());
    // The chart, then the table.
    BOOST_TEST(months.find("<svg") < months.find("<table"));
    std::string svg = between(months, "<svg", "</svg>");
    BOOST_TEST(has(svg,
                   "<svg role=\"img\" class=\"chart chart-line\" viewBox=\"0 0 480 260\" "
                   "aria-labelledby=\"chart-months-0-title\"><title id=\"chart-months-0-"
                   "title\">Line chart of revenue and orders by month</title>"));
    // No fixed size: it scales to the page (a phone's too).
    BOOST_TEST(!has(svg, " width=\"480\""));
    // Axis labels: the x column's name and the months; y ticks in M.
    BOOST_TEST(has(svg, ">month</text>"));
    BOOST_TEST(has(svg, ">2025-01</text>"));
    BOOST_TEST(has(svg, "M</text>"));
    // A legend names both series; they differ by dash as well as colour.
    BOOST_TEST(has(svg, "<g class=\"legend\">"));
    BOOST_TEST(has(svg, ">revenue</text>"));
    BOOST_TEST(has(svg, ">orders</text>"));
    BOOST_TEST(has(svg, "stroke-dasharray=\"6 4\""));
    // The NULL revenue is a gap: revenue has no path through all three months,
    // only markers.
    BOOST_TEST(markup::count(svg, "<path fill=\"none\"") == 1u);  // orders' line only
    // Every value shows in a hover title on its marker.
    BOOST_TEST(has(svg, "<title>2025-03: revenue -1,200</title>"));

    std::string regions = between(html, "<h2>regions", "</section>");
    BOOST_TEST(has(regions, "class=\"chart chart-bar\""));
    BOOST_TEST(has(regions, "class=\"chart chart-pie\""));
    BOOST_TEST(has(regions, "id=\"chart-regions-1-title\">Pie chart of revenue by region"));
    BOOST_TEST(has(regions, ">south (75.0%)</text>"));
    // Patterns, so slices read without colour; their ids are the chart's own.
    BOOST_TEST(has(regions, "<pattern id=\"chart-regions-1-p1\""));
    BOOST_TEST(has(regions, "fill=\"url(#chart-regions-1-p1)\""));
}

BOOST_AUTO_TEST_CASE(cells_are_formatted_and_keep_their_value) {
    reports::Report r = report(kDashboard);
    PageResult p = result("north");
    std::string html = html_report(r, {{"run", "1"}}, &p, nullptr, false);
    std::string table = between(html, "<table class=\"results\">", "</table>");
    BOOST_TEST(has(table, "<th scope=\"col\" class=\"n\" data-type=\"number\">revenue</th>"));
    BOOST_TEST(has(table, "<th scope=\"col\" data-type=\"time\">created</th>"));
    BOOST_TEST(has(table, "<th scope=\"col\">customer</th>"));
    BOOST_TEST(has(table, "<td class=\"n\">81,198,121.78</td>"));
    BOOST_TEST(has(table, "<td class=\"n\">-1,200.00</td>"));
    BOOST_TEST(has(table, "<td class=\"n\">41,290</td>"));
    BOOST_TEST(has(table, "<td class=\"n\">12</td>"));
    // Only bytes keep their value for sorting (table_sort.js reads the rest from
    // the text, and times from the title): no data-v on every row otherwise.
    BOOST_TEST(!has(table, "data-v="));
    BOOST_TEST(has(table, "<td class=\"n\" title=\"0.125\">12.5%</td>"));
    BOOST_TEST(has(table, "<td title=\"2026-11-28 20:02:02.382417+00\">2026-11-28 20:02:02</td>"));
    BOOST_TEST(has(table, "<td class=\"null\"></td>"));
}

BOOST_AUTO_TEST_CASE(links_carry_the_rows_values_percent_encoded) {
    reports::Report r = report(kDashboard);
    const std::string evil = "a&b <\"x\"> /?#=";
    PageResult p = result(evil);
    UrlBase base("/sub");
    std::string html = html_report(r, {{"run", "1"}}, &p, nullptr, false);
    BOOST_TEST(markup::check_markup(html) == "");
    BOOST_TEST(markup::inline_code(html) == "");
    BOOST_TEST(!has(html, evil));
    // The site's prefix in front, each value percent-encoded, the &s escaped.
    BOOST_TEST(has(html,
                   "<td><a href=\"/sub/reports/orders?month="
                   "2025-01-01&amp;c=a%26b%20%3C%22x%22%3E%20%2F%3F%23%3D\">2025-01-01</a>"
                   "</td>"));
    // A placeholder whose value is NULL: no link (it would lead nowhere).
    BOOST_TEST(has(html, "<td>2025-02-01</td>"));
    // Values in chart labels are escaped too.
    BOOST_TEST(has(html, ">a&amp;b &lt;&quot;x&quot;&gt; /?#= (25.0%)</text>"));
}

BOOST_AUTO_TEST_CASE(an_absolute_link_gets_no_prefix) {
    reports::Report r = report(
        "-- section: s\n-- link: a = https://example.com/{a}\n-- link: b = //cdn/{b}\nSELECT 1\n");
    PageResult p;
    SectionResult s;
    s.name = "s";
    s.status = SectionStatus::Ok;
    s.table = make_table({{"a", t::kText}, {"b", t::kText}}, {{"x y", "z"}});
    p.sections.push_back(std::move(s));
    UrlBase base("/sub");
    std::string html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(has(html, "<a href=\"https://example.com/x%20y\">x y</a>"));
    BOOST_TEST(has(html, "<a href=\"//cdn/z\">z</a>"));
}

BOOST_AUTO_TEST_CASE(a_chart_naming_a_missing_column_says_so) {
    reports::Report r = report("-- section: s\n-- chart: line x=a y=nope\nSELECT 1\n");
    PageResult p;
    SectionResult s;
    s.name = "s";
    s.status = SectionStatus::Ok;
    s.table = make_table({{"a", t::kText}}, {{"x"}});
    p.sections.push_back(std::move(s));
    std::string html = html_report(r, {}, &p, nullptr, false);
    BOOST_TEST(!has(html, "<svg"));
    BOOST_TEST(has(html, "No chart: the result has no column &#39;nope&#39;"));
    BOOST_TEST(has(html, "<table class=\"results\">"));
}

BOOST_AUTO_TEST_CASE(job_results_have_their_charts_and_a_gone_report_plain_tables) {
    reports::Report r = report(kDashboard);
    r.name = "dash";
    PageResult p = result("north");
    JobView j;
    j.id = "0b7e2c1e-5d7c-4f38-9a41-3f0d2a4c9e11";
    j.report = "dash";
    j.state = "succeeded";
    j.created_at = j.started_at = j.finished_at = "2026-11-21T22:10:00+00:00";
    j.json = "{}";
    std::string fragment = html_job_result(&r, j, p, true);
    BOOST_TEST(has(fragment, "<svg role=\"img\" class=\"chart chart-line\""));
    BOOST_TEST(has(fragment, "41,290"));
    BOOST_TEST(markup::check_markup(fragment) == "");
    std::string gone = html_job_result(nullptr, j, p, true);
    BOOST_TEST(!has(gone, "<svg"));
    BOOST_TEST(has(gone, "<td class=\"n\">41,290</td>"));  // formatted by type
    BOOST_TEST(has(gone, "<td>2025-01-01</td>"));          // no link
}

BOOST_AUTO_TEST_SUITE_END()
