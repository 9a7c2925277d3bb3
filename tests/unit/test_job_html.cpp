// render/job_html: the job wait screen and result pages. Escaping of every value,
// the data-job attribute, what depends on the state (refresh, cancel form, notices,
// progress bar), result tables with the job's CSV links, and the elapsed time.
#include <boost/test/unit_test.hpp>

#include "markup.hpp"

#include <algorithm>

#include "render/assets.hpp"
#include "render/job_html.hpp"

using namespace asyncpage;
using namespace asyncpage::model;
using namespace asyncpage::render;
using reports::Report;

namespace {

const std::string kHostile = "<script>alert(\"x\")</script>&'";
const std::string kHostileEscaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;";
const std::string kId = "6f1c9a52-3d4e-4b8a-9f00-0123456789ab";

bool has(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

using markup::count;

std::string stylesheet(std::string_view asset) {
    return "<link rel=\"stylesheet\" href=\"" + asset_url(asset) + "\">\n";
}

// The value of the first attribute `name` in `html`, still escaped.
std::string attribute(const std::string& html, std::string_view name) {
    std::string key = " " + std::string(name) + "=\"";
    std::size_t start = html.find(key);
    if (start == std::string::npos) return "<missing>";
    start += key.size();
    return html.substr(start, html.find('"', start) - start);
}

std::string unescape_html(std::string_view s) {
    static const std::pair<std::string_view, char> entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        bool replaced = false;
        for (const auto& [entity, c] : entities) {
            if (s.substr(i, entity.size()) == entity) {
                out += c;
                i += entity.size();
                replaced = true;
                break;
            }
        }
        if (!replaced) out += s[i++];
    }
    return out;
}

// The element with id `id`: from its start tag to the next "</tag>" (good enough for
// the elements here, which do not nest their own tag name).
std::string element(const std::string& html, std::string_view id) {
    std::size_t at = html.find(" id=\"" + std::string(id) + "\"");
    if (at == std::string::npos) return "<missing>";
    std::size_t open = html.rfind('<', at);
    std::string tag = html.substr(open + 1, html.find_first_of(" >", open) - open - 1);
    std::size_t close = html.find("</" + tag + ">", at);
    return html.substr(open, close + tag.size() + 3 - open);
}

std::string start_tag(const std::string& html, std::string_view id) {
    std::string e = element(html, id);
    return e.substr(0, e.find('>') + 1);
}

Report orders() {
    Report r;
    r.name = "orders";
    r.title = "Orders by region";
    r.job = true;
    return r;
}

JobView job(std::string state) {
    JobView j;
    j.id = kId;
    j.report = "orders";
    j.state = std::move(state);
    j.version = 3;
    j.created_at = "2026-11-21T22:10:00.000+00:00";
    if (j.state != "queued") j.started_at = "2026-11-21T22:10:03.123+00:00";
    if (is_final_state(j.state)) j.finished_at = "2026-11-21T22:11:08.500+00:00";
    j.params = {{"region", "north"}};
    j.json = "{\"id\":\"" + kId + "\",\"state\":\"" + j.state + "\",\"version\":3}";
    return j;
}

PageResult result_with_table() {
    PageResult p;
    p.report = "orders";
    p.status = PageStatus::Ok;
    SectionResult s;
    s.name = "big one";
    s.status = SectionStatus::Ok;
    s.table =
        make_table({{"region", 25}, {"total", 1700}}, {{"north<&>", "12.50"}, {std::nullopt, "3"}});
    p.sections.push_back(std::move(s));
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(job_html)

BOOST_AUTO_TEST_CASE(final_states) {
    BOOST_TEST(is_final_state("succeeded"));
    BOOST_TEST(is_final_state("failed"));
    BOOST_TEST(is_final_state("cancelled"));
    BOOST_TEST(!is_final_state("queued"));
    BOOST_TEST(!is_final_state("running"));
    BOOST_TEST(!is_final_state(""));
}

BOOST_AUTO_TEST_CASE(wait_screen_is_a_well_formed_page) {
    Report r = orders();
    PageResult res = result_with_table();
    for (const char* state : {"queued", "running", "succeeded", "failed", "cancelled"}) {
        JobView j = job(state);
        std::string html = html_job(&r, j, is_final_state(state) ? &res : nullptr);
        BOOST_TEST_CONTEXT(state) {
            BOOST_TEST(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0u);
            BOOST_TEST(html.substr(html.size() - 8) == "</html>\n");
            BOOST_TEST(markup::check_markup(html) == "");
            BOOST_TEST(has(html, "<title>Orders by region \xC2\xB7 job</title>"));
            BOOST_TEST(has(html, "<h1><a href=\"/reports/orders\">Orders by region</a> "));
            BOOST_TEST(element(html, "job-state") == "<span id=\"job-state\" class=\"badge " +
                                                         j.state + "\">" + j.state + "</span>");
            BOOST_TEST(element(html, "job-id") == "<code id=\"job-id\">" + kId + "</code>");
            BOOST_TEST(attribute(html, "data-state") == j.state);
            // Data for the script sits in attributes; the only <script>s are job.js and
            // table_sort.js (for the result job.js inserts), and the styles are files
            // too: nothing a CSP without 'unsafe-inline' refuses.
            BOOST_TEST(count(html, "<script") == 2u);
            const std::string head = html.substr(0, html.find("</head>"));
            BOOST_TEST(count(head, stylesheet("asyncpage.css") + stylesheet("job.css") +
                                       "<script src=\"" + asset_url("job.js") +
                                       "\" defer></script>\n<script src=\"" +
                                       asset_url("table_sort.js") + "\" defer></script>\n") == 1u);
            BOOST_TEST(markup::inline_code(html) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(every_value_is_escaped) {
    Report r = orders();
    r.title = kHostile;
    JobView j = job("failed");
    j.params = {{kHostile, kHostile}};
    j.message = kHostile;
    j.error_message = kHostile;
    j.error_sqlstate = "<22>";
    j.json = "{\"message\":\"" + kHostile + "\"}";
    std::string html = html_job(&r, j, nullptr);
    BOOST_TEST(!has(html, kHostile));
    BOOST_TEST(!has(html, "<script>alert"));
    BOOST_TEST(markup::check_markup(html) == "");
    BOOST_TEST(markup::inline_code(html) == "");
    BOOST_TEST(has(html, "<title>" + kHostileEscaped + " \xC2\xB7 job</title>"));
    BOOST_TEST(has(html, "\">" + kHostileEscaped + "</a> <span id=\"job-state\""));
    BOOST_TEST(has(html, "<dt>" + kHostileEscaped + "</dt><dd>" + kHostileEscaped + "</dd>"));
    BOOST_TEST(element(html, "job-message") ==
               "<p id=\"job-message\" aria-live=\"polite\">" + kHostileEscaped + "</p>");
    BOOST_TEST(element(html, "job-error-message") ==
               "<span id=\"job-error-message\">" + kHostileEscaped + "</span>");
    BOOST_TEST(element(html, "job-error-sqlstate") ==
               "<code id=\"job-error-sqlstate\">&lt;22&gt;</code>");

    // Without the report file the job's report name is the title, escaped, unlinked.
    j.report = kHostile;
    std::string orphan = html_job(nullptr, j, nullptr);
    BOOST_TEST(!has(orphan, kHostile));
    BOOST_TEST(has(orphan, "<h1>" + kHostileEscaped + " <span id=\"job-state\""));
    BOOST_TEST(!has(orphan, "href=\"/reports/"));
    BOOST_TEST(has(orphan, "The report file no longer exists."));
    BOOST_TEST(markup::check_markup(orphan) == "");

    // Names in URLs are percent-encoded.
    r.name = "a b&c";
    std::string linked = html_job(&r, job("running"), nullptr);
    BOOST_TEST(has(linked, "<a href=\"/reports/a%20b%26c\">"));
}

BOOST_AUTO_TEST_CASE(data_job_round_trips_the_json) {
    Report r = orders();
    JobView j = job("running");
    j.json = "{\"id\":\"" + kId +
             "\",\"state\":\"running\",\"progress\":40,\"message\":\"<b>\\\"x\\\" & 'y'</b>"
             "</script>\",\"version\":7}";
    std::string html = html_job(&r, j, nullptr);
    BOOST_TEST(has(html, "<main id=\"job\" data-job=\""));
    std::string value = attribute(html, "data-job");
    BOOST_TEST(value.find('<') == std::string::npos);
    BOOST_TEST(value.find('>') == std::string::npos);
    BOOST_TEST(value.find('\'') == std::string::npos);
    BOOST_TEST(has(value, "&quot;state&quot;:&quot;running&quot;"));
    // Cut at the first '"': equal only if no raw quote ended the attribute early.
    BOOST_TEST(unescape_html(value) == j.json);
    BOOST_TEST(!has(html, "</script>\""));
}

BOOST_AUTO_TEST_CASE(refresh_and_cancel_only_while_not_final) {
    Report r = orders();
    const std::string refresh = "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>";
    const std::string form = "<form id=\"job-cancel\" method=\"post\" action=\"/jobs/" + kId +
                             "/cancel\"><button type=\"submit\">Cancel</button></form>";
    for (const char* state : {"queued", "running"}) {
        std::string html = html_job(&r, job(state), nullptr);
        BOOST_TEST_CONTEXT(state) {
            BOOST_TEST(count(html, refresh) == 1u);
            BOOST_TEST(html.find(refresh) < html.find("</head>"));
            BOOST_TEST(count(html, form) == 1u);
        }
    }
    for (const char* state : {"succeeded", "failed", "cancelled"}) {
        std::string html = html_job(&r, job(state), nullptr);
        BOOST_TEST_CONTEXT(state) {
            BOOST_TEST(!has(html, "http-equiv=\"refresh\""));
            BOOST_TEST(!has(html, "<form"));
            BOOST_TEST(!has(html, "id=\"job-cancel\""));
        }
    }
}

BOOST_AUTO_TEST_CASE(progress_bar) {
    Report r = orders();
    JobView j = job("running");
    j.progress = 40;
    j.message = "Loading orders";
    std::string html = html_job(&r, j, nullptr);
    std::string bar = start_tag(html, "job-bar");
    BOOST_TEST(
        bar ==
        "<div id=\"job-bar\" class=\"progress\" role=\"progressbar\" aria-label=\"Progress\" "
        "aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"40\">");
    // The width is job.js's to set from aria-valuenow: a style attribute would need
    // 'unsafe-inline'.
    BOOST_TEST(has(html, "aria-valuenow=\"40\"><div class=\"progress-fill\"></div></div>"));
    BOOST_TEST(markup::inline_code(html) == "");
    BOOST_TEST(element(html, "job-percent") == "<span id=\"job-percent\">40%</span>");
    BOOST_TEST(element(html, "job-message") ==
               "<p id=\"job-message\" aria-live=\"polite\">Loading orders</p>");

    // Out of range is clamped.
    j.progress = 140;
    BOOST_TEST(has(html_job(&r, j, nullptr), "aria-valuenow=\"100\""));

    // Unknown: indeterminate, no value, no width, no percentage.
    j.progress.reset();
    html = html_job(&r, j, nullptr);
    bar = start_tag(html, "job-bar");
    BOOST_TEST(has(bar, "class=\"progress indeterminate\""));
    BOOST_TEST(has(bar, "role=\"progressbar\""));
    BOOST_TEST(!has(bar, "aria-valuenow"));
    BOOST_TEST(element(html, "job-bar") ==
               bar + "<div class=\"progress-fill\"></div>");  // no width
    BOOST_TEST(!has(html, "style=\"width:"));
    BOOST_TEST(element(html, "job-percent") == "<span id=\"job-percent\"></span>");

    // Final with unknown progress: not indeterminate any more; succeeded is complete.
    JobView failed = job("failed");
    BOOST_TEST(start_tag(html_job(&r, failed, nullptr), "job-bar").find("indeterminate") ==
               std::string::npos);
    JobView done = job("succeeded");
    done.progress = 60;
    html = html_job(&r, done, nullptr);
    BOOST_TEST(has(start_tag(html, "job-bar"), "aria-valuenow=\"100\""));
    BOOST_TEST(element(html, "job-percent") == "<span id=\"job-percent\">100%</span>");
}

// "attempt 2 of 3" only once a lost run made the job run again.
BOOST_AUTO_TEST_CASE(attempt_shown_when_retried) {
    Report r = orders();
    JobView j = job("running");
    j.attempt = 1;
    j.max_attempts = 3;
    BOOST_TEST(element(html_job(&r, j, nullptr), "job-attempt") ==
               "<p id=\"job-attempt\" class=\"meta\" hidden></p>");
    j.attempt = 2;
    BOOST_TEST(element(html_job(&r, j, nullptr), "job-attempt") ==
               "<p id=\"job-attempt\" class=\"meta\">attempt 2 of 3</p>");
}

BOOST_AUTO_TEST_CASE(result_tables_with_job_csv_links) {
    Report r = orders();
    JobView j = job("succeeded");
    PageResult res = result_with_table();
    std::string html = html_job(&r, j, &res);
    BOOST_TEST(markup::check_markup(html) == "");
    std::string box = html.substr(html.find("<div id=\"job-result\">"));
    box = box.substr(0, box.find("</section>"));
    BOOST_TEST(has(box, "<section>\n<h2>big one <span class=\"badge ok\">ok</span>"));
    BOOST_TEST(has(box,
                   "<table class=\"results\">\n<thead><tr><th scope=\"col\">region</th><th "
                   "scope=\"col\" class=\"n\" data-type=\"number\">total</th></tr></thead>"));
    BOOST_TEST(has(box, "<tr><td>north&lt;&amp;&gt;</td><td class=\"n\">12.50</td></tr>"));
    BOOST_TEST(has(box, "<tr><td class=\"null\"></td><td class=\"n\">3</td></tr>"));
    BOOST_TEST(has(box, "<a class=\"csv\" href=\"/jobs/" + kId +
                            "/result?format=csv&amp;section=big%20one\" download>CSV</a>"));
    BOOST_TEST(has(box, "<a class=\"xlsx\" href=\"/jobs/" + kId +
                            "/result?format=xlsx&amp;section=big%20one\" download>Excel</a>"));
    BOOST_TEST(!has(html, "/reports/orders?format=csv"));

    // Without a loaded result the container is empty, for the script to fill.
    BOOST_TEST(has(html_job(&r, j, nullptr), "<div id=\"job-result\"></div>"));

    // A section that ran out of time names the job's timeout, not the report's.
    res.sections[0].status = SectionStatus::Timeout;
    html = html_job(&r, j, &res);
    BOOST_TEST(has(html, "Did not finish within the job&#39;s timeout &mdash; cancelled."));
}

BOOST_AUTO_TEST_CASE(failed_and_cancelled_notices) {
    Report r = orders();
    JobView j = job("failed");
    j.error_sqlstate = "22012";
    j.error_message = "division by zero";
    std::string html = html_job(&r, j, nullptr);
    BOOST_TEST(element(html, "job-error") ==
               "<div id=\"job-error\" class=\"notice error\" role=\"alert\"><strong>Job "
               "failed</strong><code id=\"job-error-sqlstate\">22012</code>: <span "
               "id=\"job-error-message\">division by zero</span></div>");
    BOOST_TEST(has(start_tag(html, "job-cancelled"), " hidden"));

    // A failure without SQLSTATE (a lost worker) hides the code.
    j.error_sqlstate.clear();
    j.error_message = "worker died";
    html = html_job(&r, j, nullptr);
    BOOST_TEST(has(html, "<code id=\"job-error-sqlstate\" hidden></code>"));
    BOOST_TEST(has(html, "<span id=\"job-error-message\">worker died</span>"));
    BOOST_TEST(!has(start_tag(html, "job-error"), "hidden"));

    html = html_job(&r, job("cancelled"), nullptr);
    BOOST_TEST(element(html, "job-cancelled") ==
               "<p id=\"job-cancelled\" class=\"notice warn\" role=\"status\">Job cancelled.</p>");
    BOOST_TEST(has(start_tag(html, "job-error"), " hidden"));

    for (const char* state : {"queued", "running", "succeeded"}) {
        html = html_job(&r, job(state), nullptr);
        BOOST_TEST_CONTEXT(state) {
            BOOST_TEST(has(start_tag(html, "job-error"), " hidden"));
            BOOST_TEST(has(start_tag(html, "job-cancelled"), " hidden"));
        }
    }
}

BOOST_AUTO_TEST_CASE(params_as_given) {
    Report r = orders();
    JobView j = job("queued");
    j.params = {{"region", "north"}, {"since", "2024-01-01"}};
    std::string html = html_job(&r, j, nullptr);
    BOOST_TEST(element(html, "job-params") ==
               "<dl class=\"kv\" id=\"job-params\">\n<dt>region</dt><dd>north</dd>\n"
               "<dt>since</dt><dd>2024-01-01</dd>\n</dl>");
    j.params.clear();
    BOOST_TEST(element(html_job(&r, j, nullptr), "job-params") ==
               "<p class=\"meta\" id=\"job-params\">None given.</p>");
}

BOOST_AUTO_TEST_CASE(result_fragment_and_page) {
    Report r = orders();
    JobView j = job("succeeded");
    PageResult res = result_with_table();
    std::string fragment = html_job_result(&r, j, res, true);
    BOOST_TEST(!has(fragment, "<html"));
    BOOST_TEST(!has(fragment, "<head"));
    BOOST_TEST(!has(fragment, "<header"));
    BOOST_TEST(!has(fragment, "<script"));
    BOOST_TEST(markup::check_markup(fragment) == "");
    BOOST_TEST(has(fragment, "<tr><td>north&lt;&amp;&gt;</td><td class=\"n\">12.50</td></tr>"));
    BOOST_TEST(has(fragment, "href=\"/jobs/" + kId + "/result?format=csv&amp;section=big%20one\""));
    // The fragment is what the wait screen renders in place.
    BOOST_TEST(has(html_job(&r, j, &res), "<div id=\"job-result\">" + fragment + "</div>"));

    std::string page = html_job_result(&r, j, res, false);
    BOOST_TEST(page.rfind("<!DOCTYPE html>", 0) == 0u);
    BOOST_TEST(markup::check_markup(page) == "");
    BOOST_TEST(has(page, "<a id=\"job-link\" href=\"/jobs/" + kId + "\">Back to the job</a>"));
    BOOST_TEST(has(page, "<h1><a href=\"/reports/orders\">Orders by region</a></h1>"));
    BOOST_TEST(has(page, fragment));
    // The result page's only script sorts its tables.
    BOOST_TEST(count(page, "<script") == 1u);
    BOOST_TEST(has(page, stylesheet("asyncpage.css") + stylesheet("job.css") + "<script src=\"" +
                             asset_url("table_sort.js") + "\" defer></script>\n</head>"));
    BOOST_TEST(markup::inline_code(page) == "");
    BOOST_TEST(markup::inline_code(fragment) == "");
}

BOOST_AUTO_TEST_CASE(timestamps) {
    using namespace std::chrono;
    auto t = parse_timestamp("2026-11-21T22:10:03.123+00:00");
    BOOST_REQUIRE(t.has_value());
    auto expected = sys_days{year{2026} / November / 21} + 22h + 10min + 3s + 123ms;
    BOOST_TEST((*t == expected));
    BOOST_TEST((parse_timestamp("2026-11-22T03:40:03.123+05:30") == t));
    BOOST_TEST((parse_timestamp("2026-11-21 14:10:03.123-08") == t));
    BOOST_TEST((parse_timestamp("2026-11-21T22:10:03.123Z") == t));
    BOOST_TEST((parse_timestamp("2026-11-21T22:10:03.1234567+00:00") ==
                time_point_cast<system_clock::duration>(expected + 456us)));
    BOOST_TEST((parse_timestamp("2026-11-21T22:10:03") ==
                time_point_cast<system_clock::duration>(expected - 123ms)));
    for (const char* bad : {"", "2026-11-21", "2026-13-01T00:00:00", "2026-02-30T00:00:00",
                            "2026-11-21T24:00:00", "2026-11-21T22:10:03.", "2026-11-21T22:10:03+1",
                            "2026-11-21T22:10:03+00:00x", "2026-11-21X22:10:03"}) {
        BOOST_TEST(!parse_timestamp(bad).has_value(), bad);
    }
}

BOOST_AUTO_TEST_CASE(elapsed) {
    using namespace std::chrono;
    BOOST_TEST(format_elapsed(0) == "0 s");
    BOOST_TEST(format_elapsed(12) == "12 s");
    BOOST_TEST(format_elapsed(65) == "1 min 5 s");
    BOOST_TEST(format_elapsed(3600) == "1 h 0 min 0 s");
    BOOST_TEST(format_elapsed(7384) == "2 h 3 min 4 s");
    BOOST_TEST(format_elapsed(-5) == "0 s");

    auto start = sys_days{year{2026} / November / 21} + 22h + 10min;
    auto now = time_point_cast<system_clock::duration>(start + 30s + 500ms);
    JobView queued = job("queued");  // created 22:10:00
    BOOST_TEST(job_elapsed_seconds(queued, now).value_or(-1) == 30);
    JobView running = job("running");  // started 22:10:03.123
    BOOST_TEST(job_elapsed_seconds(running, now).value_or(-1) == 27);
    // A clock behind the database's never shows a negative time.
    BOOST_TEST(
        job_elapsed_seconds(running, time_point_cast<system_clock::duration>(start)).value_or(-1) ==
        0);
    JobView done = job("succeeded");  // 22:10:03.123 .. 22:11:08.500, whatever now is
    BOOST_TEST(job_elapsed_seconds(done, now).value_or(-1) == 65);
    JobView never_started = job("cancelled");
    never_started.started_at.clear();  // cancelled while queued: from created_at
    BOOST_TEST(job_elapsed_seconds(never_started, now).value_or(-1) == 68);
    JobView unknown = job("running");
    unknown.started_at.clear();
    unknown.created_at.clear();
    BOOST_TEST(!job_elapsed_seconds(unknown, now).has_value());

    // The page renders the same: a final job's time does not depend on the clock.
    Report r = orders();
    BOOST_TEST(element(html_job(&r, done, nullptr), "job-elapsed") ==
               "<dd id=\"job-elapsed\">1 min 5 s</dd>");
    BOOST_TEST(element(html_job(&r, unknown, nullptr), "job-elapsed") ==
               "<dd id=\"job-elapsed\"></dd>");
}

BOOST_AUTO_TEST_SUITE_END()
