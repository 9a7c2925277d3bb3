// max_rows end to end (README, "Configuration" and "JSON"): HTML and JSON pages
// keep at most max_rows rows a section, read as they come; the row after the last
// stops the query in PostgreSQL, the section stays ok with "truncated": true, and
// the HTML page says "First N rows" with a link to the section's CSV, which is
// never capped. A million-row section costs the worker a few MB, not the result.
#include <boost/test/unit_test.hpp>

#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;
using nlohmann::json;

namespace {

constexpr long kMB = 1024L * 1024;

// ~100-byte values: 1,000,000 rows are ~110 MB of data in PostgreSQL's answer.
// Rows are made as they are sent (a nested loop over small series; one
// generate_series of a million would first be materialised whole), so the
// query is still running when the page has its rows.
const char* const kBig =
    "-- title: A million wide rows\n"
    "-- param: tag text default x\n"
    "-- timeout: 120s\n"
    "\n"
    "-- section: rows\n"
    "SELECT g, repeat('v', 100) || :tag AS rows_big_marker\n"
    "FROM generate_series(0, 999) a, LATERAL generate_series(a * 1000 + 1, a * 1000 + 1000) g;\n";

// max_rows: 5 of its own: a section cut, one of exactly 5 rows, one without rows.
const char* const kFive =
    "-- title: Five at most\n"
    "-- param: tag text default x\n"
    "-- max_rows: 5\n"
    "\n"
    "-- section: six\n"
    "SELECT g, :tag AS tag FROM generate_series(1, 6) g;\n"
    "-- section: five\n"
    "SELECT g FROM generate_series(1, 5) g;\n"
    "-- section: none\n"
    "SELECT g FROM generate_series(1, 0) g;\n";

// parallel: false, one pipeline: the first section is cut while the others are
// queued behind it on the same connection, then a huge one (100M rows made as
// they are sent: it would run for minutes) is cut in the middle again, then the
// last one runs.
const char* const kSequential =
    "-- title: Sequential, cut in the middle\n"
    "-- max_rows: 5\n"
    "-- parallel: false\n"
    "-- timeout: 30s\n"
    "\n"
    "-- section: first\n"
    "SELECT g FROM generate_series(1, 6) g;\n"
    "-- section: five\n"
    "SELECT g FROM generate_series(1, 5) g;\n"
    "-- section: huge\n"
    "SELECT g AS seq_cut_marker FROM generate_series(0, 9999) a,\n"
    "    LATERAL generate_series(a * 10000 + 1, a * 10000 + 10000) g;\n"
    "-- section: after\n"
    "SELECT 'after' AS v, g FROM generate_series(1, 2) g;\n";

// parallel: false, cut in its last section (nothing queued behind it).
const char* const kSequentialLast =
    "-- title: Sequential, cut at the end\n"
    "-- max_rows: 5\n"
    "-- parallel: false\n"
    "-- timeout: 30s\n"
    "\n"
    "-- section: two\n"
    "SELECT g FROM generate_series(1, 2) g;\n"
    "-- section: huge\n"
    "SELECT g AS seq_last_marker FROM generate_series(0, 9999) a,\n"
    "    LATERAL generate_series(a * 10000 + 1, a * 10000 + 10000) g;\n";

// No max_rows: of its own: the config's.
const char* const kPlain =
    "-- title: Plain\n"
    "\n"
    "-- section: four\n"
    "SELECT g FROM generate_series(1, 4) g;\n"
    "-- section: three\n"
    "SELECT g FROM generate_series(1, 3) g;\n";

Reports all_reports() {
    return {{"big", kBig},
            {"five", kFive},
            {"sequential", kSequential},
            {"sequential_last", kSequentialLast},
            {"plain", kPlain}};
}

// The values of a section's first column, as integers.
std::vector<long long> firsts(const json& s) {
    std::vector<long long> out;
    for (const auto& row : s.at("rows"))
        out.push_back(row.at(0).get<long long>());
    return out;
}

std::vector<long long> one_to(long long n) {
    std::vector<long long> out;
    for (long long i = 1; i <= n; ++i)
        out.push_back(i);
    return out;
}

// Until no backend of this server runs a statement containing `marker`.
bool query_gone(Pg& pg, Stack& s, const std::string& marker) {
    return wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%" + marker + "%") == 0; }, 3s,
        10ms);
}

void check_peak(long hwm, long limit) {
    if (sanitized_build()) {
        BOOST_TEST_MESSAGE("AddressSanitizer build: VmHWM < " << limit / kMB << " MB not asserted");
    } else {
        BOOST_TEST(hwm < limit, "worker peak RSS " << hwm / 1024 << " kB");
    }
}

// &amp; back to & in an href taken from the page.
std::string unescape_amp(std::string href) {
    for (std::size_t p; (p = href.find("&amp;")) != std::string::npos;)
        href.replace(p, 5, "&");
    return href;
}

// A server of its own (one worker, VmHWM is a peak over the worker's life) with
// the reports above; a trivial page first, so its pool is up.
struct OwnServer {
    ReportDir reports{all_reports()};
    std::unique_ptr<Stack> stack;
    pid_t worker = 0;
    explicit OwnServer(std::map<std::string, std::string> config = {}) {
        ServerOptions o;
        o.workers = 1;
        o.reports_dir = reports.path();
        o.config = std::move(config);
        stack = std::make_unique<Stack>(o);
        worker = stack->server().wait_workers(1).at(0);
        Response warm = stack->get("/reports/plain?format=json");
        BOOST_TEST_REQUIRE(warm.status == 200, warm.summary() << ": " << warm.body);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(max_rows)

// The default max_rows (10000) over a million ~100-byte rows as an HTML page: the
// first 10000, said so, a CSV link with the page's params escaped; the worker's
// peak RSS stays small and the query is stopped in PostgreSQL.
BOOST_AUTO_TEST_CASE(html_page_of_a_million_rows_keeps_max_rows) {
    OwnServer own;
    Stack& s = *own.stack;
    Pg pg;
    const std::string tag = "a&b <\"c\">";
    Response r = s.get("/reports/big?tag=" + url_encode(tag), {}, 120000);
    long hwm = Server::hwm_bytes(own.worker);
    BOOST_TEST_MESSAGE("1M-row HTML page: " << r.summary() << "; worker VmHWM " << hwm / 1024
                                            << " kB");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    BOOST_TEST(count_of(r.body, "<tr><td") == 10000u);
    BOOST_TEST(
        contains(r.body, "<td>" + std::string(100, 'v') + "a&amp;b &lt;&quot;c&quot;&gt;</td>"));
    const std::string href =
        "/reports/big?format=csv&amp;section=rows&amp;tag=a%26b%20%3C%22c%22%3E";
    BOOST_TEST(contains(r.body, "First 10000 rows only"), r.body.substr(r.body.size() - 2000));
    BOOST_TEST(
        contains(r.body, "<a class=\"csv\" href=\"" + href + "\" download>All rows as CSV</a>"),
        r.body.substr(r.body.size() - 2000));
    BOOST_TEST(!contains(r.body, "10000 rows</p>"), "the plain row count is not shown");
    BOOST_TEST(query_gone(pg, s, "rows_big_marker"),
               "the query still runs in PostgreSQL after the answer");
    check_peak(hwm, 64 * kMB);
    BOOST_TEST(s.server().worker_pids() == std::vector<pid_t>{own.worker});
}

BOOST_AUTO_TEST_CASE(json_page_of_a_million_rows_keeps_max_rows) {
    OwnServer own;
    Stack& s = *own.stack;
    Pg pg;
    Response r = s.get("/reports/big?format=json&tag=z", {}, 120000);
    long hwm = Server::hwm_bytes(own.worker);
    BOOST_TEST_MESSAGE("1M-row JSON page: " << r.summary() << "; worker VmHWM " << hwm / 1024
                                            << " kB");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary());
    json j = parse_json(r);
    BOOST_TEST(j["status"] == "ok");
    const json& rows = section(j, "rows");
    BOOST_TEST(rows["status"] == "ok");
    BOOST_TEST(rows["truncated"] == true);
    BOOST_TEST(firsts(rows) == one_to(10000), boost::test_tools::per_element());
    BOOST_TEST(rows["rows"][9999][1] == std::string(100, 'v') + "z");
    BOOST_TEST(query_gone(pg, s, "rows_big_marker"),
               "the query still runs in PostgreSQL after the answer");
    check_peak(hwm, 64 * kMB);
}

// Ten such pages at once: every one answered, the same worker alive, its memory
// bounded by ten times max_rows rows, not by ten results.
BOOST_AUTO_TEST_CASE(ten_at_once_keep_the_worker_bounded) {
    OwnServer own;
    Stack& s = *own.stack;
    Pg pg;
    std::vector<Request> reqs;
    for (int i = 0; i < 10; ++i) {
        reqs.push_back(s.request(i % 2 ? "/reports/big?format=json&tag=" + std::to_string(i)
                                       : "/reports/big?tag=" + std::to_string(i),
                                 120000));
    }
    auto responses = run_concurrent(reqs);
    long hwm = Server::hwm_bytes(own.worker);
    long rss = Server::rss_bytes(own.worker);
    BOOST_TEST_MESSAGE("ten 1M-row pages at once: worker VmHWM " << hwm / 1024 << " kB, VmRSS "
                                                                 << rss / 1024 << " kB after");
    for (std::size_t i = 0; i < responses.size(); ++i) {
        const Response& r = responses[i];
        BOOST_TEST_CONTEXT("request " << i) {
            BOOST_TEST_REQUIRE(r.status == 200, r.summary());
            if (i % 2) {
                BOOST_TEST(section(parse_json(r), "rows")["truncated"] == true);
            } else {
                BOOST_TEST(contains(r.body, "First 10000 rows only"));
            }
        }
    }
    BOOST_TEST(s.server().worker_pids() == std::vector<pid_t>{own.worker});
    BOOST_TEST(query_gone(pg, s, "rows_big_marker"),
               "a query still runs in PostgreSQL after the answers");
    check_peak(hwm, 64 * kMB);
    Response after = s.get("/reports/plain?format=json");
    BOOST_TEST(after.status == 200, after.summary());
}

// max_rows: 5 in the report: 6 rows are cut to 5 (truncated), exactly 5 are not,
// none are not; the HTML page says so and its CSV link gives every row.
BOOST_AUTO_TEST_CASE(report_header_cuts_at_its_own_max_rows) {
    OwnServer own;
    Stack& s = *own.stack;
    Response r = s.get("/reports/five?format=json&tag=t");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    json j = parse_json(r);
    BOOST_TEST(j["status"] == "ok");
    BOOST_TEST(section(j, "six")["status"] == "ok");
    BOOST_TEST(section(j, "six")["truncated"] == true);
    BOOST_TEST(firsts(section(j, "six")) == one_to(5), boost::test_tools::per_element());
    BOOST_TEST(section(j, "five")["truncated"] == false);
    BOOST_TEST(firsts(section(j, "five")) == one_to(5), boost::test_tools::per_element());
    BOOST_TEST(section(j, "none")["truncated"] == false);
    BOOST_TEST(section(j, "none")["rows"].empty());
    BOOST_TEST(section(j, "none")["columns"].size() == 1u);

    Response h = s.get("/reports/five?tag=t%26u");
    BOOST_TEST_REQUIRE(h.status == 200, h.summary());
    BOOST_TEST(count_of(h.body, "First 5 rows only") == 1u, h.body);
    BOOST_TEST(contains(h.body, "<p class=\"meta\">5 rows</p>"), "the uncut section: " << h.body);
    const std::string href = "/reports/five?format=csv&amp;section=six&amp;tag=t%26u";
    BOOST_TEST_REQUIRE(contains(h.body, "href=\"" + href + "\" download>All rows as CSV</a>"),
                       h.body);
    Response csv = s.get(unescape_amp(href));
    BOOST_TEST_REQUIRE(csv.status == 200, csv.summary());
    BOOST_TEST(csv.body == "g,tag\r\n1,t&u\r\n2,t&u\r\n3,t&u\r\n4,t&u\r\n5,t&u\r\n6,t&u\r\n");
}

// parallel: false is one pipeline: a section cut while others are queued behind
// it on its connection; they still run (on another connection) and the huge one
// is stopped in PostgreSQL.
BOOST_AUTO_TEST_CASE(sequential_sections_cut_in_the_middle_of_a_pipeline) {
    OwnServer own;
    Stack& s = *own.stack;
    Pg pg;
    Response r = s.get("/reports/sequential?format=json", {}, 30000);
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    BOOST_TEST(r.seconds < 10, "the huge section was read to its end: " << r.summary());
    json j = parse_json(r);
    BOOST_TEST(j["status"] == "ok", r.body);
    BOOST_TEST(section_names(j) == (std::vector<std::string>{"first", "five", "huge", "after"}),
               boost::test_tools::per_element());
    for (const char* name : {"first", "five", "huge", "after"})
        BOOST_TEST(section(j, name)["status"] == "ok", section(j, name).dump());
    BOOST_TEST(section(j, "first")["truncated"] == true);
    BOOST_TEST(firsts(section(j, "first")) == one_to(5), boost::test_tools::per_element());
    BOOST_TEST(section(j, "five")["truncated"] == false);
    BOOST_TEST(firsts(section(j, "five")) == one_to(5), boost::test_tools::per_element());
    BOOST_TEST(section(j, "huge")["truncated"] == true);
    BOOST_TEST(firsts(section(j, "huge")) == one_to(5), boost::test_tools::per_element());
    BOOST_TEST(section(j, "after")["truncated"] == false);
    BOOST_TEST(section(j, "after")["rows"] == json::parse(R"([["after",1],["after",2]])"));
    BOOST_TEST(query_gone(pg, s, "seq_cut_marker"),
               "the cut section still runs in PostgreSQL after the answer");

    Response last = s.get("/reports/sequential_last?format=json", {}, 30000);
    BOOST_TEST_REQUIRE(last.status == 200, last.summary() << ": " << last.body);
    json k = parse_json(last);
    BOOST_TEST(section(k, "two")["truncated"] == false);
    BOOST_TEST(firsts(section(k, "two")) == one_to(2), boost::test_tools::per_element());
    BOOST_TEST(section(k, "huge")["truncated"] == true);
    BOOST_TEST(firsts(section(k, "huge")) == one_to(5), boost::test_tools::per_element());
    BOOST_TEST(query_gone(pg, s, "seq_last_marker"),
               "the cut last section still runs in PostgreSQL after the answer");
    // The connections are usable again: the same pages once more.
    for (int i = 0; i < 3; ++i) {
        Response again = s.get("/reports/sequential?format=json", {}, 30000);
        BOOST_TEST_REQUIRE(again.status == 200, again.summary());
        BOOST_TEST(section(parse_json(again), "after")["rows"].size() == 2u);
    }
}

// The config's max_rows for reports without their own; a report's header wins.
BOOST_AUTO_TEST_CASE(config_key_sets_the_default) {
    OwnServer own(std::map<std::string, std::string>{{"max_rows", "3"}});
    Stack& s = *own.stack;
    Response r = s.get("/reports/plain?format=json");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    json j = parse_json(r);
    BOOST_TEST(section(j, "four")["truncated"] == true);
    BOOST_TEST(firsts(section(j, "four")) == one_to(3), boost::test_tools::per_element());
    BOOST_TEST(section(j, "three")["truncated"] == false);
    BOOST_TEST(firsts(section(j, "three")) == one_to(3), boost::test_tools::per_element());

    json five = parse_json(s.get("/reports/five?format=json"));
    BOOST_TEST(section(five, "six")["rows"].size() == 5u);  // max_rows: 5 of its own
    BOOST_TEST(section(five, "five")["truncated"] == false);

    Response csv = s.get("/reports/plain?format=csv&section=four");
    BOOST_TEST(csv.body == "g\r\n1\r\n2\r\n3\r\n4\r\n", "CSV is never capped");
}

BOOST_AUTO_TEST_SUITE_END()
