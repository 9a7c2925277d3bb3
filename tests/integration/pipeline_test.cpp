// A page's sequential sections (parallel: false) are sent to PostgreSQL together
// in pipeline mode, and still behave as DESIGN §2-3 says sequential sections do:
// in file order, each in its own implicit transaction, a failing one not
// stopping the next, and nothing started after the deadline.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <thread>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;

namespace {
long long marks(Pg& pg, const std::string& tag) {
    return pg.scalar_int("SELECT count(*) FROM asyncpage_test_pipeline_log WHERE tag = $1", tag);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline)

BOOST_AUTO_TEST_CASE(later_sections_run_without_waiting_for_the_worker) {
    Stack& s = integration_stack();
    Pg pg;
    std::string tag = unique_name("probe");
    auto page = request_async(s.request("/reports/pipeline_probe?format=json&tag=" + tag, 10000));
    BOOST_TEST_REQUIRE(wait_until(
                           [&] {
                               return pg.count_active(s.server().application_name(),
                                                      "%pipeline_probe_slow%") >= 1;
                           },
                           2s, 5ms),
                       "the first section never showed up in pg_stat_activity");
    // The worker is stopped while the first section sleeps: the second still runs,
    // since it was sent with the first.
    std::vector<pid_t> workers = s.server().worker_pids();
    for (pid_t w : workers)
        ::kill(w, SIGSTOP);
    bool marked = wait_until([&] { return marks(pg, tag) == 1; }, 1500ms, 20ms);
    for (pid_t w : workers)
        ::kill(w, SIGCONT);
    BOOST_TEST(marked, "the second section did not run while the worker was stopped");
    Response r = page.get();
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
    auto j = parse_json(r);
    BOOST_TEST(j["status"] == "ok", r.body);
    BOOST_TEST(section(j, "slow")["rows"] == nlohmann::json::parse("[[1]]"));
    BOOST_TEST(section(j, "mark")["rows"] == nlohmann::json::array({nlohmann::json::array({tag})}));
}

BOOST_AUTO_TEST_CASE(each_section_is_its_own_transaction) {
    Stack& s = integration_stack();
    Pg pg;
    // Servers of other tests starting meanwhile would create the table again
    // (prepare_test_schema): they wait for this lock until it is back.
    pg.exec("SELECT pg_advisory_lock(" + std::to_string(kTestSchemaLock) + ")");
    pg.exec("DROP TABLE IF EXISTS asyncpage_test_pipeline_gone");
    std::string tag = unique_name("tx");
    // Twice: the second page finds its statements prepared on the connection.
    for (int round = 0; round < 2; ++round) {
        std::string t = tag + "-" + std::to_string(round);
        Response r = s.get("/reports/pipeline_sections?format=json&tag=" + t);
        BOOST_TEST_REQUIRE(r.status == 200, r.summary() << ": " << r.body);
        auto j = parse_json(r);
        BOOST_TEST(j["status"] == "partial", r.body);
        BOOST_TEST(
            section_names(j) == (std::vector<std::string>{"first", "failing", "seen", "gone1",
                                                          "between", "gone2", "last"}),
            "sections not in file order");
        BOOST_TEST(section(j, "first")["status"] == "ok", r.body);
        BOOST_TEST(section(j, "failing")["status"] == "error");
        BOOST_TEST(section(j, "failing")["error"]["sqlstate"] == "22012");
        // The first insert committed before the next section; the failing one
        // rolled back its own insert only.
        BOOST_TEST(section(j, "seen")["rows"] == nlohmann::json::parse("[[1]]"),
                   section(j, "seen").dump());
        // The same statement twice, which cannot be prepared now: both fail with
        // PostgreSQL's own error, not with the second one missing the first one's
        // prepared statement.
        for (const char* name : {"gone1", "gone2"}) {
            const auto& m = section(j, name);
            BOOST_TEST(m["status"] == "error", m.dump());
            BOOST_TEST(m["error"]["sqlstate"] == "42P01", m.dump());
            BOOST_TEST(m["error"]["message"].get<std::string>().find(
                           "asyncpage_test_pipeline_gone") != std::string::npos,
                       m.dump());
        }
        BOOST_TEST(section(j, "between")["rows"] == nlohmann::json::parse("[[2]]"));
        BOOST_TEST(section(j, "last")["rows"] == nlohmann::json::parse("[[3]]"));
    }
    pg.exec("CREATE TABLE IF NOT EXISTS asyncpage_test_pipeline_gone (a int)");
    pg.exec("SELECT pg_advisory_unlock(" + std::to_string(kTestSchemaLock) + ")");
}

BOOST_AUTO_TEST_CASE(the_deadline_starts_no_queued_section) {
    Stack& s = integration_stack();
    Pg pg;
    std::string tag = unique_name("deadline");
    Response r = s.get("/reports/pipeline_deadline?format=json&tag=" + tag, {}, 10000);
    auto answered = Clock::now();
    BOOST_TEST_MESSAGE("1 s deadline over a pipeline of 2 s + insert + 10 s: " << r.summary());
    BOOST_TEST(r.status == 504, r.summary() << ": " << r.body);
    BOOST_TEST(r.seconds >= 0.9);
    BOOST_TEST(r.seconds < 1.5);
    auto j = parse_json(r);
    for (const char* name : {"slow", "mark", "long"})
        BOOST_TEST(section(j, name)["status"] == "timeout", section(j, name).dump());
    BOOST_TEST(wait_until(
                   [&] {
                       return pg.count_active(s.server().application_name(),
                                              "%pipeline_deadline_%") == 0;
                   },
                   1s, 10ms),
               "a pipelined section still active 1 s after the answer");
    BOOST_TEST_MESSAGE("backend idle " << seconds_since(answered) << " s after the answer");
    // Past the time the cancelled 2 s sleep would have ended by itself: the queued
    // sections still did not start.
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(marks(pg, tag) == 0, "the section queued behind the cancelled one ran");
    BOOST_TEST(pg.count_active(s.server().application_name(), "%pipeline_deadline_%") == 0);
    // The worker goes on serving pages on its other connections.
    Response after = s.get("/reports/trivial?format=json");
    BOOST_TEST(after.status == 200, after.summary());
}

BOOST_AUTO_TEST_SUITE_END()
