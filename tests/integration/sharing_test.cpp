// Fast statements of different pages share a connection in pipeline mode
// (docs/ARCHITECTURE.md, "Sharing a connection between pages"), and the
// contract still holds: every page gets exactly its own rows, an error stays in
// its own page, a slow statement does not hold the pages queued behind it past
// the stall limit, and a page that times out or whose client leaves while
// others wait behind it leaves them correct.
#include <boost/test/unit_test.hpp>
#include <sstream>
#include <thread>

#include "support/pg.hpp"
#include "support/pgbouncer.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {

// A server of its own (its statement timings start empty), with few
// connections, so that concurrent pages must share them.
ServerOptions sharing_options(const std::string& fast, const std::string& stall) {
    ServerOptions o;
    o.workers = 1;
    o.pool_size = 2;
    o.config["report_share"] = "1.0";
    o.config["share_fast"] = toml_string(fast);
    o.config["share_stall"] = toml_string(stall);
    o.config["debug"] = "true";
    return o;
}

// Runs the echo statement one page at a time, until the pool knows it to be
// fast (StatementSpeeds needs 16 runs).
void warm_up(Stack& s) {
    for (int i = 0; i < 24; ++i) {
        Response r = s.get("/reports/shared_echo?format=json&n=" + std::to_string(100 + i));
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    }
}

std::vector<std::string> md5s(Pg& pg, int count) {
    std::string all = pg.scalar(
        "SELECT string_agg(md5(n::text), ',' ORDER BY n) "
        "FROM generate_series(0, " +
        std::to_string(count - 1) + ") n");
    std::vector<std::string> out;
    std::stringstream in(all);
    for (std::string h; std::getline(in, h, ',');)
        out.push_back(h);
    return out;
}

double shared(const Metrics& m) {
    return m.value("asyncpage_shared_statements_total");
}

// Fast echo pages for n in [from, to), at once.
std::vector<Request> echo_requests(Stack& s, int from, int to) {
    std::vector<Request> reqs;
    for (int n = from; n < to; ++n)
        reqs.push_back(s.request("/reports/shared_echo?format=json&n=" + std::to_string(n), 20000));
    return reqs;
}

// Each page carries its own n and md5(n).
void check_echo(const Response& r, int n, const std::string& md5) {
    BOOST_TEST_REQUIRE(r.status == 200, "n=" << n << ": " << r.summary() << ": " << r.body);
    auto j = parse_json(r);
    const auto& rows = section(j, "echo")["rows"];
    BOOST_TEST_REQUIRE(rows.size() == 1u, "n=" << n << ": " << r.body);
    BOOST_TEST(rows[0][0].dump() == std::to_string(n), "n=" << n << ": " << r.body);
    BOOST_TEST(rows[0][1] == md5, "n=" << n << ": " << r.body);
}

// Every page but n = 13 (which divides by zero) has its own row; returns the
// slowest one's time.
double check_echoes(const std::vector<Response>& rs, const std::vector<std::string>& expected) {
    double slowest = 0;
    for (int n = 0; n < static_cast<int>(rs.size()); ++n) {
        if (n == 13) continue;
        check_echo(rs[std::size_t(n)], n, expected[std::size_t(n)]);
        slowest = std::max(slowest, rs[std::size_t(n)].seconds);
    }
    return slowest;
}

// The echo statement of a page sent before is running in PostgreSQL.
void wait_for_head(Stack& s, Pg& pg) {
    BOOST_TEST_REQUIRE(
        wait_until([&] { return pg.count_active(s.server().application_name(), "%md5%") >= 1; }, 2s,
                   2ms),
        "the slow statement never showed up in pg_stat_activity");
}

// A server of its own with the echo statement known fast, the md5 of each n
// below `count`, and its metrics before the test's load.
struct WarmServer {
    WarmServer(const std::string& fast, const std::string& stall, int count)
        : s(sharing_options(fast, stall)) {
        warm_up(s);
        expected = md5s(pg, count);
        before = s.metrics();
    }
    // How much `name` grew since the warm-up.
    double grown(const std::string& name) const {
        return s.metrics().value(name) - before.value(name);
    }

    Stack s;
    Pg pg;
    std::vector<std::string> expected;
    Metrics before;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sharing)

BOOST_AUTO_TEST_CASE(pages_sharing_connections_get_exactly_their_own_rows) {
    const int count = 300;
    WarmServer w("5ms", "50ms", count);
    std::vector<Response> rs = run_concurrent(echo_requests(w.s, 0, count));
    for (int n = 0; n < count; ++n) {
        if (n == 13) {
            // Its own statement failed (division by zero) in its own implicit
            // transaction; the pages around it on the same connection did not.
            BOOST_TEST(rs[n].status == 500, rs[n].summary() << ": " << rs[n].body);
            auto j = parse_json(rs[n]);
            BOOST_TEST(section(j, "echo")["error"]["sqlstate"] == "22012", rs[n].body);
            continue;
        }
        check_echo(rs[n], n, w.expected[std::size_t(n)]);
    }
    double behind = w.grown("asyncpage_shared_statements_total");
    BOOST_TEST_MESSAGE("sharing: " << count << " pages on 2 connections, " << behind
                                   << " statements sent behind another page's");
    // Two connections for 300 pages at once: most statements went behind others.
    BOOST_TEST(behind >= count / 4, behind << " statements shared");
}

// A parallel report's sections are tasks of their own: each may share a
// connection with other pages' statements, and its answer must come back to
// its own page and section.
BOOST_AUTO_TEST_CASE(parallel_sections_of_many_pages_each_get_their_own_answer) {
    Stack s(sharing_options("5ms", "50ms"));
    Pg pg;
    for (int i = 0; i < 24; ++i)
        BOOST_TEST_REQUIRE(
            s.get("/reports/shared_sections?format=json&n=" + std::to_string(1000 + i)).status ==
            200);
    const int count = 150;
    std::vector<std::string> expected = md5s(pg, count);
    Metrics m0 = s.metrics();
    std::vector<Request> reqs;
    for (int n = 0; n < count; ++n)
        reqs.push_back(s.request("/reports/shared_sections?format=json&n=" + std::to_string(n)));
    std::vector<Response> rs = run_concurrent(reqs);
    for (int n = 0; n < count; ++n) {
        const Response& r = rs[std::size_t(n)];
        BOOST_TEST_REQUIRE(r.status == 200, "n=" << n << ": " << r.summary() << ": " << r.body);
        auto page = parse_json(r);
        for (const char* name : {"a", "b", "c"})
            BOOST_TEST_REQUIRE(section(page, name)["rows"].size() == 1u, name << ": " << r.body);
        BOOST_TEST(section(page, "a")["rows"][0][0].dump() == std::to_string(n), r.body);
        BOOST_TEST(section(page, "b")["rows"][0][0].dump() == std::to_string(2 * n), r.body);
        BOOST_TEST(section(page, "c")["rows"][0][0] == expected[std::size_t(n)], r.body);
    }
    double behind = shared(s.metrics()) - shared(m0);
    BOOST_TEST_MESSAGE("sharing: " << count << " pages of 3 parallel sections, " << behind
                                   << " statements sent behind another page's");
    BOOST_TEST(behind >= count, behind << " statements shared");
}

// Behind PgBouncer in transaction mode every Sync ends a transaction, after
// which the pooler may run the next statement of the pipeline on another
// server connection: the answers must still come back to their own pages.
BOOST_AUTO_TEST_CASE(pages_share_connections_through_a_transaction_pooler) {
    PgBouncer bouncer(2);
    ServerOptions o = sharing_options("5ms", "50ms");
    o.dsn = bouncer.dsn();
    o.config["pool_mode"] = toml_string("transaction");
    Stack s(o);
    Pg pg;
    warm_up(s);
    const int count = 200;
    std::vector<std::string> expected = md5s(pg, count);
    Metrics m0 = s.metrics();
    check_echoes(run_concurrent(echo_requests(s, 0, count)), expected);
    double behind = shared(s.metrics()) - shared(m0);
    BOOST_TEST_MESSAGE("sharing through PgBouncer: " << behind << " of " << count
                                                     << " statements sent behind another's");
    BOOST_TEST(behind >= count / 4, behind << " statements shared");
}

// concurrency: 1 still means one statement of the report at a time when its
// statements share connections (share_fast is raised so that its 20 ms
// statement counts as fast).
BOOST_AUTO_TEST_CASE(a_shared_report_keeps_to_its_concurrency) {
    Stack s(sharing_options("400ms", "2s"));
    for (int i = 0; i < 20; ++i)
        BOOST_TEST_REQUIRE(
            s.get("/reports/shared_one_at_a_time?format=json&n=" + std::to_string(i)).status ==
            200);
    Metrics m0 = s.metrics();
    std::vector<Request> reqs;
    for (int n = 0; n < 24; ++n)
        reqs.push_back(
            s.request("/reports/shared_one_at_a_time?format=json&n=" + std::to_string(n)));
    std::vector<Response> rs = run_concurrent(reqs);
    int most = 0;
    for (const Response& r : rs) {
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
        auto page = parse_json(r);
        most = std::max(most, section(page, "probe")["rows"][0][1].get<int>());
    }
    double behind = shared(s.metrics()) - shared(m0);
    BOOST_TEST_MESSAGE("sharing with concurrency: 1: at most " << most << " running at once, "
                                                               << behind << " shared");
    BOOST_TEST(most == 1);
}

BOOST_AUTO_TEST_CASE(without_share_connections_nothing_is_shared) {
    ServerOptions o = sharing_options("5ms", "50ms");
    o.config["share_connections"] = "false";
    Stack s(o);
    Pg pg;
    warm_up(s);
    std::vector<std::string> expected = md5s(pg, 100);
    std::vector<Response> rs = run_concurrent(echo_requests(s, 0, 100));
    check_echoes(rs, expected);
    Metrics m = s.metrics();
    BOOST_TEST(shared(m) == 0);
    BOOST_TEST(m.value("asyncpage_pool_connections", {{"state", "shared"}}) == 0);
}

// share_fast is raised so that pages queue behind the slow head however late
// the test's requests come; the stall limit is what cancels the head (to run
// again alone) so that they go on.
BOOST_AUTO_TEST_CASE(a_slow_statement_on_a_shared_connection_does_not_hold_the_pages_behind_it) {
    WarmServer w("400ms", "600ms", 20);
    // The same statement, known fast, sleeps 3 s this time.
    auto slow = request_async(w.s.request("/reports/shared_echo?format=json&n=7&wait=3", 20000));
    wait_for_head(w.s, w.pg);
    auto started = Clock::now();
    auto fast = run_concurrent_async(echo_requests(w.s, 0, 20));
    std::vector<Response> rs = fast.get();
    double fast_done = seconds_since(started);
    Response r = slow.get();
    double max_fast = check_echoes(rs, w.expected);
    BOOST_TEST_MESSAGE("sharing: 3 s statement at the head, stall 600 ms: fast pages done after "
                       << max_fast << " s (all " << fast_done << " s); the slow page "
                       << r.summary());
    // Behind the 3 s head until the 600 ms stall limit at most, when it is cancelled.
    BOOST_TEST(max_fast < 2.0, "a fast page took " << max_fast << " s");
    BOOST_TEST(w.grown("asyncpage_shared_requeues_total") >= 1);
    // The slow page itself was run again on a connection of its own, and is whole.
    check_echo(r, 7, w.expected[7]);
    BOOST_TEST(r.seconds >= 3.0);
}

// A head that streams its rows slowly (30 rows of 2 KB, 0.1 s each) has sent
// some when the stall limit cancels it: they are dropped, and the page has the
// 30 rows of its run alone, not those and the first ones again.
BOOST_AUTO_TEST_CASE(a_cancelled_head_keeps_none_of_the_rows_it_had_sent) {
    WarmServer w("400ms", "600ms", 5);
    auto slow = request_async(
        w.s.request("/reports/shared_echo?format=json&n=7&wait=3&rows=30&pad=2000", 20000));
    wait_for_head(w.s, w.pg);
    check_echoes(run_concurrent(echo_requests(w.s, 0, 5)), w.expected);
    Response r = slow.get();
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    auto page = parse_json(r);
    const auto& rows = section(page, "echo")["rows"];
    BOOST_TEST_MESSAGE("sharing: streaming head cancelled at 600 ms, run again: "
                       << r.summary() << ", " << rows.size() << " rows");
    BOOST_TEST(rows.size() == 30u);
    for (const auto& row : rows)
        BOOST_TEST(row[0].dump() == "7");
    BOOST_TEST(w.grown("asyncpage_shared_requeues_total") == 1);
    BOOST_TEST(r.seconds >= 3.0);
}

BOOST_AUTO_TEST_CASE(a_page_that_times_out_or_is_left_mid_pipeline_leaves_the_others_correct) {
    // A stall limit past every page's time: only the pages ending early act.
    WarmServer w("400ms", "20s", 20);
    // The head: the same statement under a 1 s deadline, sleeping 3 s.
    auto late =
        request_async(w.s.request("/reports/shared_echo_short?format=json&n=5&wait=3", 20000));
    wait_for_head(w.s, w.pg);
    // Behind it: a page whose client leaves after 300 ms, and fast pages.
    auto left = request_async(w.s.request("/reports/shared_echo?format=json&n=8", 300));
    auto fast = run_concurrent_async(echo_requests(w.s, 0, 20));
    std::vector<Response> rs = fast.get();
    Response gone = left.get();
    Response r = late.get();
    auto answered = Clock::now();
    double max_fast = check_echoes(rs, w.expected);
    BOOST_TEST_MESSAGE("sharing: head timed out at 1 s: "
                       << r.summary() << "; fast pages behind it done after " << max_fast << " s");
    BOOST_TEST(gone.curl_code == 28, "the leaving client got " << gone.summary());
    BOOST_TEST(r.status == 504, r.summary() << ": " << r.body);
    // Answered once the head was cancelled as its page ended at 1 s, not after its 3 s.
    BOOST_TEST(max_fast < 2.0, "a fast page took " << max_fast << " s");
    BOOST_TEST(w.grown("asyncpage_client_aborts_total") == 1);
    // The timed-out head was cancelled in PostgreSQL.
    BOOST_TEST(
        wait_until([&] { return w.pg.count_active(w.s.server().application_name(), "%md5%") == 0; },
                   1s, 10ms),
        "the timed-out statement still ran 1 s after its page's answer");
    BOOST_TEST_MESSAGE("backend idle " << seconds_since(answered) << " s after the answer");
}

BOOST_AUTO_TEST_SUITE_END()
