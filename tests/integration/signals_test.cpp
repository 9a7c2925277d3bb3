// Signals to the supervisor as README's Operations table promises them: a reload
// refused for a changed `listen`, SIGUSR1 reopening the logs, SIGHUP while a job
// runs, a drain with long polls, event streams and new requests, and a worker
// killed with pages pending.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>

#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;

namespace {

const char* const slow_page =
    "-- title: Slow page\n"
    "-- timeout: 10s\n"
    "\n"
    "-- section: s\n"
    "SELECT 1 AS own_sig_slow FROM pg_sleep(1.2);\n";

const char* const quick_page =
    "-- title: Quick page\n"
    "\n"
    "-- section: one\n"
    "SELECT 1 AS own_sig_quick;\n";

// A job of `steps` steps of `step_ms`, with progress after each.
const char* const stepped_job =
    "-- title: Stepped job\n"
    "-- param: steps int default 6\n"
    "-- param: step_ms int default 300\n"
    "-- job: true\n"
    "-- timeout: 60s\n"
    "\n"
    "-- section: steps\n"
    "SELECT g.i AS own_sig_step\n"
    "FROM generate_series(1, :steps) AS g(i),\n"
    "     LATERAL (SELECT asyncpage.progress(g.i * 100 / :steps, 'step ' || g.i),\n"
    "                     pg_sleep(:step_ms / 1000.0)) AS x;\n";

// Sets the flag when the test leaves its scope, also through a failed assertion.
struct StopOnExit {
    std::atomic<bool>& flag;
    ~StopOnExit() { flag = true; }
};

std::string replace_line(const std::string& text, const std::string& key, const std::string& line) {
    std::string out;
    size_t pos = 0;
    bool found = false;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string l = text.substr(pos, end - pos);
        if (l.rfind(key + " = ", 0) == 0) {
            l = line;
            found = true;
        }
        out += l + "\n";
        pos = end + 1;
    }
    BOOST_TEST_REQUIRE(found, "no " << key << " line in the config");
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signals)

// A changed `listen` is refused: same workers, same socket, the reason logged.
// Then SIGHUP with the config as it was does replace the workers (so the first
// check can see a reload when there is one).
BOOST_AUTO_TEST_CASE(reload_refused_for_changed_listen) {
    ReportDir reports(Reports{{"quick", quick_page}});
    ServerOptions o;
    o.workers = 2;
    o.reports_dir = reports.path();
    Stack s(o);
    auto before = s.server().wait_workers(2);
    auto config_path = s.server().dir() / "asyncpage.toml";
    std::string original = read_file(config_path);
    write_file(config_path,
               replace_line(original, "listen",
                            "listen = " + toml_string((s.server().dir() / "moved.sock").string())));
    s.server().signal(SIGHUP);
    bool logged = wait_until(
        [&] {
            return contains(read_file(s.server().log_path()), "reload refused: listen changed");
        },
        5s);
    BOOST_TEST(logged, "no refusal in the log:\n" << s.server().log_tail());
    BOOST_TEST((s.server().worker_pids() == before), "the workers were replaced");
    BOOST_TEST(!std::filesystem::exists(s.server().dir() / "moved.sock"));
    BOOST_TEST(s.get("/reports/quick?format=json").status == 200);

    write_file(config_path, original);
    s.server().signal(SIGHUP);
    bool replaced = wait_until(
        [&] {
            auto now = s.server().worker_pids();
            return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](pid_t p) {
                       return std::find(before.begin(), before.end(), p) != before.end();
                   });
        },
        10s);
    BOOST_TEST(replaced, "a valid reload did not replace the workers");
    BOOST_TEST(s.get("/reports/quick?format=json").status == 200);
}

// logrotate moves the files away and sends SIGUSR1: asyncpage writes to new files
// of the configured names (the access log from the workers, the error log from
// the supervisor), and nothing more to the old ones.
BOOST_AUTO_TEST_CASE(sigusr1_reopens_log_files) {
    ReportDir reports(Reports{{"quick", quick_page}});
    TempDir logs("asyncpage-own-logs");
    auto error_log = logs / "error.log";
    auto access_log = logs / "access.log";
    ServerOptions o;
    o.reports_dir = reports.path();
    o.config["error_log"] = toml_string(error_log.string());
    o.config["access_log"] = toml_string(access_log.string());
    Stack s(o);
    BOOST_TEST_REQUIRE(s.get("/reports/quick?format=json").status == 200);
    BOOST_TEST_REQUIRE(
        wait_until([&] { return contains(read_file(access_log), "report=quick"); }, 5s));
    std::filesystem::rename(error_log, logs / "error.log.1");
    std::filesystem::rename(access_log, logs / "access.log.1");

    s.server().signal(SIGUSR1);
    bool reopened = wait_until(
        [&] { return std::filesystem::exists(error_log) && std::filesystem::exists(access_log); },
        5s);
    BOOST_TEST_REQUIRE(reopened, "no new log files after SIGUSR1");
    // The worker reopens on its own signal: wait until a page lands in the new file.
    bool page_logged = wait_until(
        [&] {
            BOOST_TEST_REQUIRE(s.get("/reports/quick?format=json").status == 200);
            return contains(read_file(access_log), "report=quick");
        },
        5s, 100ms);
    BOOST_TEST(page_logged, "pages after SIGUSR1 are not in the new access log");
    // An error-level line (flushed at once) from the supervisor: a refused reload.
    auto config_path = s.server().dir() / "asyncpage.toml";
    write_file(config_path, read_file(config_path) + "no_such_key_here = 1\n");
    s.server().signal(SIGHUP);
    bool refused = wait_until([&] { return contains(read_file(error_log), "reload refused"); }, 5s);
    BOOST_TEST(refused, "the supervisor does not write to the new error log");
    BOOST_TEST(!contains(read_file(logs / "error.log.1"), "reload refused"));
    std::string old_access = read_file(logs / "access.log.1");
    BOOST_TEST(count_of(old_access, "report=quick") == 1u, old_access);
}

// SIGHUP while a job runs: the old worker puts the job back in the queue and a
// new worker runs it again from the start to success; pages sent during the reload
// all succeed, and a page pending at SIGHUP gets its answer.
BOOST_AUTO_TEST_CASE(sighup_while_a_job_runs) {
    migrate_test_db();
    ReportDir reports(
        Reports{{"stepped", stepped_job}, {"slow", slow_page}, {"quick", quick_page}});
    ServerOptions o;
    o.workers = 1;
    o.reports_dir = reports.path();
    Stack s(o);
    auto before = s.server().wait_workers(1);
    auto j = create_job(s, "stepped", "steps=8&step_ms=250");
    std::string id = j["id"];
    auto running = wait_job(s, id, [](const nlohmann::json& x) {
        return x["state"] == "running" && !x["progress"].is_null() && x["progress"] >= 25;
    });
    BOOST_TEST_REQUIRE(running["state"] == "running", running.dump());
    auto first_start = iso8601_to_epoch_ms(running["started_at"]);
    BOOST_TEST_REQUIRE(first_start.has_value(), running.dump());

    auto pending = request_async(s.request("/reports/slow?format=json", 15000));
    Pg pg;
    BOOST_TEST_REQUIRE(wait_until([&] { return count_running(pg, "own_sig_slow") == 1; }, 5s));
    std::atomic<bool> stop{false};
    std::vector<Response> during;
    auto traffic = std::async(std::launch::async, [&] {
        while (!stop)
            during.push_back(s.get("/reports/quick?format=json", {}, 10000));
    });
    StopOnExit stop_traffic{stop};  // destroyed before `traffic` waits
    s.server().signal(SIGHUP);
    bool replaced = wait_until(
        [&] {
            auto now = s.server().worker_pids();
            return std::find(now.begin(), now.end(), before[0]) == now.end() && now.size() == 1;
        },
        15s);
    stop = true;
    traffic.get();
    BOOST_TEST(replaced, "the old worker never exited");
    Response slow = pending.get();
    BOOST_TEST(slow.status == 200, slow.summary() << " " << slow.body);
    BOOST_TEST(!during.empty());
    for (const auto& r : during)
        BOOST_TEST(r.status == 200, "a page during the reload: " << r.summary() << " " << r.body);

    auto done = wait_job(s, id, job_final, 30);
    BOOST_TEST(done["state"] == "succeeded", done.dump());
    BOOST_TEST(done["attempt"] == 1, "a reload's drain is not a lost attempt: " << done.dump());
    // Run again from the start by the new worker: started anew, and the whole run
    // (8 x 250 ms) after that.
    auto second_start = iso8601_to_epoch_ms(done["started_at"]);
    auto finish = iso8601_to_epoch_ms(done["finished_at"]);
    BOOST_TEST_REQUIRE((second_start && finish), done.dump());
    BOOST_TEST(*second_start > *first_start, "the job was not run again: " << done.dump());
    BOOST_TEST(*finish - *first_start >= 2250, "the first run was not stopped: " << done.dump());
    Response result = s.get("/jobs/" + id + "/result?format=json");
    BOOST_TEST_REQUIRE(result.status == 200, result.summary());
    BOOST_TEST(section(parse_json(result), "steps")["rows"].size() == 8u);
}

// SIGTERM with a page pending, a job running, a long poll and an event stream
// open on it, and new requests arriving all along: the page is answered, the long
// poll answers at once, the event stream ends, the job goes back to the queue,
// and the server exits 0 long before the drain deadline (10 s + 5 s).
BOOST_AUTO_TEST_CASE(drain_with_long_polls_streams_and_new_requests) {
    migrate_test_db();
    ReportDir reports(
        Reports{{"stepped", stepped_job}, {"slow", slow_page}, {"quick", quick_page}});
    ServerOptions o;
    o.workers = 1;
    o.reports_dir = reports.path();
    Stack s(o);
    Pg jobs(s.server().jobs_dsn());
    auto j = create_job(s, "stepped", "steps=100&step_ms=200");
    std::string id = j["id"];
    auto running = wait_job(s, id, [](const nlohmann::json& x) { return x["state"] == "running"; });
    BOOST_TEST_REQUIRE(running["state"] == "running", running.dump());

    // A long poll that would wait 50 s for nothing but a version far ahead.
    auto poll = request_async(s.request("/jobs/" + id + "/wait?timeout=50&since=1000000", 20000));
    std::atomic<int> events{0};
    std::atomic<bool> stream_ended{false};
    // std::async: the futures wait (bounded by the client timeouts) also when an
    // assertion ends the test early.
    auto stream_done = std::async(std::launch::async, [&] {
        stream(s.request("/jobs/" + id + "/events", 20000), [&](std::string_view chunk) {
            events += static_cast<int>(count_of(chunk, "event: "));
        });
        stream_ended = true;
    });
    auto page = request_async(s.request("/reports/slow?format=json", 15000));
    Pg pg;
    BOOST_TEST_REQUIRE(wait_until([&] { return count_running(pg, "own_sig_slow") == 1; }, 5s));
    bool waiters = wait_until(
        [&] {
            Metrics m = s.metrics();
            return m.value("asyncpage_job_waiters", {{"kind", "wait"}}) == 1 &&
                   m.value("asyncpage_job_waiters", {{"kind", "events"}}) == 1 && events > 0;
        },
        5s);
    BOOST_TEST_REQUIRE(waiters, "the long poll and the event stream were not both open");

    std::atomic<bool> stop{false};
    std::vector<Response> late;
    auto traffic = std::async(std::launch::async, [&] {
        while (!stop)
            late.push_back(s.get("/reports/quick?format=json", {}, 5000));
    });
    StopOnExit stop_traffic{stop};  // destroyed before `traffic` waits
    auto sigterm_at = Clock::now();
    s.server().signal(SIGTERM);

    Response polled = poll.get();
    double poll_answered = seconds_since(sigterm_at);
    BOOST_TEST(polled.status == 200, polled.summary() << " " << polled.body);
    BOOST_TEST(poll_answered < 3.0, "long poll answered " << poll_answered << " s after SIGTERM");
    bool ended = wait_until([&] { return stream_ended.load(); }, 5s);
    BOOST_TEST(ended, "the event stream is still open 5 s after SIGTERM");
    Response r = page.get();
    BOOST_TEST(r.status == 200, r.summary() << " " << r.body);
    auto status = s.server().wait_exit(8s);
    double exited = seconds_since(sigterm_at);
    stop = true;
    traffic.get();
    stream_done.get();
    BOOST_TEST_REQUIRE(status.has_value(), "still running 8 s after SIGTERM");
    BOOST_TEST(*status == 0);
    BOOST_TEST_MESSAGE("exit " << exited << " s after SIGTERM; " << late.size()
                               << " requests sent during the drain");
    BOOST_TEST(exited < 6.0);
    BOOST_TEST(!late.empty());
    for (const auto& l : late) {
        // Accepted before the stop: 200. After: nginx finds nobody (502) or the
        // socket gone; never a hang (the client gives up after 5 s: status 0).
        BOOST_TEST((l.status == 200 || l.status == 502 || l.status == 503),
                   "a request during the drain: " << l.summary());
    }
    std::string state = jobs.scalar("SELECT state FROM asyncpage.jobs WHERE id = '" + id + "'");
    BOOST_TEST(state == "queued", "the running job was not put back in the queue");
    BOOST_TEST(jobs.scalar_int("SELECT attempt FROM asyncpage.jobs WHERE id = $1::uuid", id) == 0,
               "the drain gave its attempt back");
    BOOST_TEST(jobs.scalar_int("SELECT count(*) FROM asyncpage.jobs WHERE state = 'running'") == 0);
}

// kill -9 of one worker while both hold pages: exactly its pages get 502 from
// nginx, at once; the other worker's pages finish normally. Which worker accepts
// a connection is the kernel's choice, so the pages are placed: with worker A
// stopped (SIGSTOP) the first six can only be accepted by B, then with B stopped
// the next six by A (nginx has no kept connection yet: each page opens its own).
// Each page's worker is then confirmed through the socket between its backend
// and the worker.
BOOST_AUTO_TEST_CASE(killed_worker_pages_get_502_others_untouched) {
    ReportDir reports(Reports{{"slow3",
                               "-- title: Three seconds\n-- timeout: 10s\n\n-- section: s\n"
                               "SELECT 1 AS own_sig_kill FROM pg_sleep(3);\n"}});
    ServerOptions o;
    o.workers = 2;
    o.reports_dir = reports.path();
    Stack s(o);
    Pg pg;
    const int half = 6;
    auto workers = s.server().wait_workers(2);
    pid_t a = workers[0], b = workers[1];
    auto fire = [&] {
        return run_concurrent_async(
            std::vector<Request>(half, s.request("/reports/slow3?format=json", 15000)));
    };
    auto running = [&](int n) {
        return wait_until([&] { return count_running(pg, "own_sig_kill") == n; }, 10s);
    };
    BOOST_TEST_REQUIRE(::kill(a, SIGSTOP) == 0);
    auto on_b = fire();
    bool b_runs = running(half);
    ::kill(a, SIGCONT);
    BOOST_TEST_REQUIRE(b_runs, "the first pages never ran");
    BOOST_TEST_REQUIRE(::kill(b, SIGSTOP) == 0);
    auto on_a = fire();
    bool a_runs = running(2 * half);
    ::kill(b, SIGCONT);
    BOOST_TEST_REQUIRE(a_runs, "the second pages never ran");
    auto held = marked_backends_per_process(pg, "own_sig_kill", workers);
    BOOST_TEST_MESSAGE("worker A " << a << " holds " << held[a] << ", worker B " << b << " holds "
                                   << held[b]);
    BOOST_TEST_REQUIRE(held[a] == half);
    BOOST_TEST_REQUIRE(held[b] == half);

    BOOST_TEST_REQUIRE(::kill(a, SIGKILL) == 0);
    for (const auto& r : on_a.get()) {
        BOOST_TEST(r.status == 502,
                   "a page of the killed worker: " << r.summary() << " " << r.body);
        BOOST_TEST(r.seconds < 2.9, "a killed worker's page was answered late: " << r.summary());
    }
    for (const auto& r : on_b.get()) {
        BOOST_TEST(r.status == 200, "a page of the other worker: " << r.summary() << " " << r.body);
        if (r.status == 200) BOOST_TEST(parse_json(r)["status"] == "ok", r.body);
        BOOST_TEST(r.seconds >= 2.9, "a page of the other worker ended early: " << r.summary());
    }
    bool replaced = wait_until(
        [&] {
            auto now = s.server().worker_pids();
            return now.size() == 2 && std::find(now.begin(), now.end(), a) == now.end() &&
                   std::find(now.begin(), now.end(), b) != now.end();
        },
        5s);
    BOOST_TEST(replaced, "the killed worker was not replaced (or the other one changed)");
    BOOST_TEST(s.get("/reports/slow3?format=json").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
