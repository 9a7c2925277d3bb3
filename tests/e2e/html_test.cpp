// HTML pages: the index lists every report with escaped titles, a report page is
// a form (and only a form until params or run=1 are given), values and cells are
// escaped, and timeout/error notices show on a partial page.
#include <boost/test/unit_test.hpp>

#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {
// The <section> element of the page's section `name` (its <h2> starts with the
// name), or "" when there is none: a check on it cannot be met by the page's
// stylesheet, form or another section.
std::string html_section(const std::string& page, const std::string& name) {
    for (size_t at = page.find("<section"); at != std::string::npos;
         at = page.find("<section", at + 1)) {
        size_t end = page.find("</section>", at);
        if (end == std::string::npos) break;
        std::string element = page.substr(at, end + 10 - at);
        size_t h2 = element.find("<h2>");
        if (h2 != std::string::npos && element.compare(h2 + 4, name.size() + 1, name + " ") == 0)
            return element;
    }
    return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(html)

BOOST_AUTO_TEST_CASE(index_lists_reports_with_escaped_titles) {
    Stack& s = e2e_stack();
    Response r = s.get("/");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(contains(r.header("content-type"), "text/html"), r.header("content-type"));
    for (const char* title : {"Trivial", "Typed parameters", "CSV quoting", "A million rows"}) {
        BOOST_TEST(contains(r.body, title), "index lacks '" << title << "'");
    }
    BOOST_TEST(contains(r.body, "One row, no wait"), "index lacks a description");
    BOOST_TEST(contains(r.body, "reports/html_escape"), "index lacks the link");
    BOOST_TEST(contains(r.body, "Escaping &lt;b&gt;bold&lt;/b&gt; &amp; more"),
               "title not escaped as expected");
    BOOST_TEST(!contains(r.body, "<b>bold</b>"), "raw markup from a title in the index");
}

BOOST_AUTO_TEST_CASE(report_page_without_params_is_only_a_form) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/html_escape");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(contains(r.header("content-type"), "text/html"));
    BOOST_TEST(icontains(r.body, "<form"));
    BOOST_TEST(contains(r.body, "name=\"label\""), "no input for the param");
    BOOST_TEST(!contains(r.body, "&lt;i&gt;cell"), "the report ran without params or run=1");

    Response run = s.get("/reports/html_escape?run=1");
    BOOST_TEST_REQUIRE(run.status == 200, run.summary());
    BOOST_TEST(contains(run.body, "&lt;i&gt;cell&lt;/i&gt; &amp; co"), "run=1 did not run it");
    // The result cell, not the form's pre-filled value="plain".
    BOOST_TEST(contains(html_section(run.body, "echo"), "<td>plain</td>"),
               "default value not used: " << html_section(run.body, "echo"));
}

BOOST_AUTO_TEST_CASE(values_and_cells_are_escaped) {
    Stack& s = e2e_stack();
    const std::string evil = "<script>alert(1)</script>";
    Response r = s.get("/reports/html_escape?label=" + url_encode(evil));
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(!contains(r.body, evil), "unescaped value in the page");
    BOOST_TEST(!contains(r.body, "<i>cell</i>"), "unescaped cell in the page");
    const std::string escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    // Once in the form's input value, once in the result table's cell.
    BOOST_TEST(count_of(r.body, escaped) >= 2u, "escaped value seen " << count_of(r.body, escaped)
                                                                      << " times:\n"
                                                                      << r.body);
    BOOST_TEST(contains(r.body, "&lt;i&gt;cell&lt;/i&gt; &amp; co"));

    // Quotes cannot break out of the value attribute.
    Response q = s.get("/reports/html_escape?label=" + url_encode("\"><b>x</b>"));
    BOOST_TEST_REQUIRE(q.status == 200);
    BOOST_TEST(!contains(q.body, "\"><b>x</b>"));
}

BOOST_AUTO_TEST_CASE(partial_page_shows_notices) {
    Stack& s = e2e_stack();
    Response r = s.get("/reports/html_notices?run=1", {}, 10000);
    BOOST_TEST_MESSAGE("html partial page: " << r.summary());
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    BOOST_TEST(r.seconds < 1.5);
    std::string good = html_section(r.body, "good"), late = html_section(r.body, "late"),
                broken = html_section(r.body, "broken");
    BOOST_TEST(contains(good, "<td>fine</td>"), "the finished section is missing: " << good);
    // The section's own badge (the stylesheet also names .badge.timeout).
    BOOST_TEST(contains(late, "class=\"badge timeout\""), "no timeout badge: " << late);
    BOOST_TEST(!contains(late, "<table"), "the late section has rows: " << late);
    BOOST_TEST(contains(broken, "class=\"badge error\""), "no error badge: " << broken);
    BOOST_TEST(icontains(broken, "division by zero"), "no error notice with the message");
    BOOST_TEST(icontains(r.body, "partial"), "no notice that the page is partial");
}

BOOST_AUTO_TEST_CASE(html_errors) {
    Stack& s = e2e_stack();
    Response bad = s.get("/reports/params?qty=abc&label=x");
    BOOST_TEST(bad.status == 400);
    BOOST_TEST(contains(bad.header("content-type"), "text/html"));
    BOOST_TEST(contains(bad.body, "qty"));
    Response missing = s.get("/reports/no_such_report");
    BOOST_TEST(missing.status == 404);
    Response failed = s.get("/reports/all_errors?run=1");
    BOOST_TEST(failed.status == 500);
    BOOST_TEST(icontains(failed.body, "division by zero"));
}

BOOST_AUTO_TEST_SUITE_END()
