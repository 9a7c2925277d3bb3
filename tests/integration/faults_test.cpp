// Faults an operator meets (issue 4): PostgreSQL stopped under load and back,
// SIGHUP reload (new reports picked up without failing a pending page; a broken
// report file skipped while the others reload; a deleted report file or a bad
// config refused while the old set serves),
// SIGQUIT, and a second server on a socket a live one holds.
#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>

#include "support/pg.hpp"
#include "support/stacks.hpp"
#include "support/text.hpp"

using namespace support;
namespace fs = std::filesystem;

namespace {
std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// pg_ctl on the cluster scripts/test started; the guard restarts it whatever happens.
class PgOutage {
  public:
    PgOutage()
        : data_(env_or_empty("ASYNCPAGE_TEST_PGDATA")),
          user_(env_or_empty("ASYNCPAGE_TEST_PGUSER")) {}
    bool available() const { return !data_.empty() && !user_.empty(); }
    void stop() {
        BOOST_TEST_REQUIRE(pg_ctl("-m fast stop") == 0, "pg_ctl stop failed");
        down_ = true;
    }
    void start() {
        if (!down_) return;
        std::string log = (fs::path(data_).parent_path() / "postgres.log").string();
        BOOST_TEST_REQUIRE(pg_ctl("-w -l '" + log + "' start") == 0, "pg_ctl start failed");
        down_ = false;
    }
    ~PgOutage() {
        if (down_)
            pg_ctl("-w -l '" + (fs::path(data_).parent_path() / "postgres.log").string() +
                   "' start");
    }

  private:
    int pg_ctl(const std::string& args) const {
        std::string cmd = "runuser -u '" + user_ + "' -- /usr/lib/postgresql/15/bin/pg_ctl -D '" +
                          data_ + "' " + args + " >/dev/null 2>&1";
        return std::system(cmd.c_str());
    }
    std::string data_, user_;
    bool down_ = false;
};

void copy_reports(const fs::path& to) {
    fs::create_directories(to);
    for (auto& e : fs::directory_iterator(reports_dir()))
        fs::copy_file(e.path(), to / e.path().filename());
}

// A server over a copy of tests/reports in `dir`, which the test may change and reload.
ServerOptions over_a_copy_of_the_reports(const TempDir& dir, int workers) {
    copy_reports(dir.path());
    ServerOptions o;
    o.workers = workers;
    o.reports_dir = dir.path();
    return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(postgres_stopped_pages_503_by_deadline_then_recover) {
    PgOutage outage;
    BOOST_TEST_REQUIRE(outage.available(),
                       "ASYNCPAGE_TEST_PGDATA/PGUSER not set (scripts/test sets them)");
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    std::vector<pid_t> workers = s.server().wait_workers(1);
    BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);

    // Pages pending in PostgreSQL when it goes away: hold1 sleeps 1 s, budget 4 s.
    std::vector<Request> held(5, s.request("/reports/hold1?format=json", 10000));
    auto sent_at = Clock::now();  // the responses' `seconds` count from about here
    auto pending = run_concurrent_async(held);
    {
        Pg pg;
        BOOST_TEST_REQUIRE(wait_until(
            [&] { return pg.count_active(s.server().application_name(), "%fairness_hold%") >= 5; },
            3s, 10ms));
    }
    outage.stop();
    // pg_ctl has returned: the backends are gone. README promises 503 "within about
    // 0.1 s"; 0.5 s leaves room for a loaded machine and is still far below the 4 s
    // deadline that a page waiting for its budget would take.
    double stopped = seconds_since(sent_at);
    for (auto& r : pending.get()) {
        BOOST_TEST(r.status == 503,
                   "pending page while PostgreSQL stopped: " << r.summary() << " " << r.body);
        BOOST_TEST(r.has_header("retry-after"), r.summary());
        BOOST_TEST_MESSAGE("pending page answered " << r.seconds - stopped
                                                    << " s after pg_ctl stop returned");
        BOOST_TEST(r.seconds - stopped < 0.5,
                   "answered " << r.seconds - stopped << " s after PostgreSQL stopped");
    }

    // New pages while it is down: 503 no later than the deadline (trivial: default 5 s).
    Response r = s.get("/reports/hold1?format=json");
    BOOST_TEST(r.status == 503, r.summary() << " " << r.body);
    BOOST_TEST(r.seconds < 4.5, r.summary());
    BOOST_TEST(r.has_header("retry-after"));
    Response h = s.get("/healthz");
    BOOST_TEST(h.status == 503, h.summary());
    BOOST_TEST(h.seconds < 2.5, h.summary());
    BOOST_TEST_MESSAGE("while down: page " << r.summary() << ", healthz " << h.summary());

    outage.start();
    auto up_at = Clock::now();
    bool back =
        wait_until([&] { return s.get("/reports/trivial?format=json").status == 200; }, 10s, 100ms);
    double recovered = seconds_since(up_at);
    BOOST_TEST(back, "pages still fail 10 s after PostgreSQL came back");
    BOOST_TEST_MESSAGE("pages succeed again " << recovered << " s after PostgreSQL is back");
    // README: "within a fraction of a second to a few seconds (reconnects back off up
    // to 5 s)": one full back-off plus a second.
    BOOST_TEST(recovered < 6.0,
               "pages failed for " << recovered << " s after PostgreSQL came back");
    BOOST_TEST(s.get("/healthz").status == 200);
    BOOST_TEST(s.server().worker_pids() == workers, "a worker crashed or was replaced");
}

BOOST_AUTO_TEST_CASE(reload_picks_up_reports_without_failing_a_pending_page) {
    TempDir dir("asyncpage-reload");
    Stack s(over_a_copy_of_the_reports(dir, 2));
    auto before = s.server().wait_workers(2);
    BOOST_TEST_REQUIRE(s.get("/reports/added_later?format=json").status == 404);

    auto page = request_async(s.request("/reports/hold1?format=json", 10000));
    Pg pg;
    BOOST_TEST_REQUIRE(wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%fairness_hold%") >= 1; }, 3s,
        10ms));
    write_file(dir / "added_later.sql",
               "-- title: Added later\n-- section: s\nSELECT 42 AS answer;\n");
    s.server().signal(SIGHUP);

    bool served = wait_until(
        [&] { return s.get("/reports/added_later?format=json").status == 200; }, 3s, 20ms);
    BOOST_TEST(served, "the new report is not served 3 s after SIGHUP");
    Response r = page.get();
    BOOST_TEST(r.status == 200, "page pending across the reload: " << r.summary());
    bool replaced = wait_until(
        [&] {
            auto now = s.server().worker_pids();
            for (pid_t p : before)
                if (std::find(now.begin(), now.end(), p) != now.end()) return false;
            return now.size() == 2;
        },
        5s, 20ms);
    BOOST_TEST(replaced, "old workers did not hand over to new ones");
}

// README, "Operations": a broken report file never stops a reload from serving
// the others. It is skipped and logged; a report that was loaded before keeps
// its previous version, and good files changed or added in the same reload are
// served.
BOOST_AUTO_TEST_CASE(broken_report_is_skipped_and_the_reload_serves_the_others) {
    TempDir dir("asyncpage-reload");
    Stack s(over_a_copy_of_the_reports(dir, 1));
    auto before = s.server().wait_workers(1);
    BOOST_TEST_REQUIRE(s.get("/reports/added_later?format=json").status == 404);

    write_file(dir / "trivial.sql", "this is not a report\n");
    write_file(dir / "broken_new.sql", "-- param: x nosuchtype\n-- section: s\nSELECT 1;\n");
    write_file(dir / "added_later.sql",
               "-- title: Added later\n-- Author: bob\n-- section: s\nSELECT 42 AS answer;\n");
    s.server().signal(SIGHUP);

    bool served = wait_until(
        [&] { return s.get("/reports/added_later?format=json").status == 200; }, 5s, 20ms);
    BOOST_TEST(served, "the good new report is not served: the broken ones stopped the reload");
    std::string log = s.server().log_tail(4000);
    BOOST_TEST(!contains(log, "reload refused"), "the reload was refused");
    BOOST_TEST(contains(log, "report skipped on reload, its previous version keeps serving: " +
                                 (dir / "trivial.sql").string() + ":1:"),
               "the broken trivial.sql is not logged with its line");
    BOOST_TEST(contains(log, "report skipped on reload: " + (dir / "broken_new.sql").string()));
    Response trivial = s.get("/reports/trivial?format=json");
    BOOST_TEST(trivial.status == 200, "the previous trivial report is gone: " << trivial.summary());
    BOOST_TEST(s.get("/reports/broken_new?format=json").status == 404);
    Response index = s.get("/");
    BOOST_TEST(contains(index.body, "report broken_new could not be loaded"));
    BOOST_TEST(!contains(index.body, dir.path().string()), "the index shows server paths");
    BOOST_TEST(!contains(index.body, "nosuchtype"), "the index shows the parse error");
    bool replaced = wait_until([&] { return s.server().worker_pids() != before; }, 5s, 20ms);
    BOOST_TEST(replaced, "the reload did not start new workers");
}

BOOST_AUTO_TEST_CASE(deleted_report_or_bad_config_keeps_the_old_set) {
    TempDir dir("asyncpage-reload");
    Stack s(over_a_copy_of_the_reports(dir, 1));
    auto workers = s.server().wait_workers(1);
    auto refusals = [&] { return count_of(s.server().log_tail(2000), "reload refused"); };

    fs::remove(dir / "trivial.sql");
    size_t seen = refusals();
    s.server().signal(SIGHUP);
    BOOST_TEST(wait_until([&] { return refusals() > seen; }, 3s, 20ms),
               "deleted file: no refusal logged");
    BOOST_TEST(s.get("/reports/trivial?format=json").status == 200);

    fs::path config = s.server().dir() / "asyncpage.toml";
    write_file(config, read_file(config) + "\nno_such_key = 1\n");
    seen = refusals();
    s.server().signal(SIGHUP);
    BOOST_TEST(wait_until([&] { return refusals() > seen; }, 3s, 20ms),
               "bad config: no refusal logged");
    BOOST_TEST(contains(s.server().log_tail(2000), "no_such_key"),
               "the refusal does not name the key");
    BOOST_TEST(s.get("/reports/trivial?format=json").status == 200);
    BOOST_TEST(s.server().worker_pids() == workers, "a refused reload replaced the workers");
}

BOOST_AUTO_TEST_CASE(sigusr1_reopens_log_files_after_rotation) {
    TempDir logs("asyncpage-logs");
    ServerOptions o;
    o.workers = 1;
    o.config["access_log"] = toml_string((logs / "access.log").string());
    o.config["error_log"] = toml_string((logs / "error.log").string());
    Stack s(o);
    BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);
    // "" while the file does not exist (between the rename and the reopen).
    auto read = [](const fs::path& p) { return fs::exists(p) ? read_file(p) : std::string(); };
    // The worker logs a page right after answering it: the line may trail the answer.
    BOOST_TEST_REQUIRE(wait_until(
        [&] { return contains(read(logs / "access.log"), "report=trivial"); }, 3s, 20ms));

    // What logrotate does: move the file away, then signal.
    fs::rename(logs / "access.log", logs / "access.log.1");
    s.server().signal(SIGUSR1);
    bool reopened = wait_until(
        [&] {
            s.get("/reports/types?format=json");
            return contains(read(logs / "access.log"), "report=types");
        },
        3s, 50ms);
    BOOST_TEST(reopened, "no new access.log with the next page after SIGUSR1");
    BOOST_TEST(!contains(read(logs / "access.log.1"), "report=types"),
               "pages are still logged to the rotated file");
}

BOOST_AUTO_TEST_CASE(access_log_off_logs_no_pages) {
    // Default: access lines go to stderr (the server log here), as the check sees.
    ServerOptions on;
    on.workers = 1;
    Stack logged(on);
    BOOST_TEST_REQUIRE(logged.get("/reports/trivial?format=json").status == 200);
    BOOST_TEST(
        wait_until([&] { return contains(logged.server().log_tail(50), " access ["); }, 3s, 20ms));

    ServerOptions off;
    off.workers = 1;
    off.config["access_log"] = "\"off\"";
    Stack s(off);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST_REQUIRE(s.get("/reports/trivial?format=json").status == 200);
    // Once the server has exited, whatever it would log about those pages is written.
    BOOST_TEST_REQUIRE(s.server().stop().value_or(-1) == 0);
    std::string log = s.server().log_tail(200);
    BOOST_TEST(!contains(log, " access ["), log);
    BOOST_TEST(contains(log, "serving"), "the error log itself still works: " << log);
    BOOST_TEST(!fs::exists(s.server().dir() / "off"));
    BOOST_TEST(!fs::exists(fs::current_path() / "off"), "access_log = off wrote a file named off");
}

BOOST_AUTO_TEST_CASE(sigquit_stops_at_once) {
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    auto page = request_async(s.request("/reports/hold1?format=json", 10000));
    Pg pg;
    BOOST_TEST_REQUIRE(wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%fairness_hold%") >= 1; }, 3s,
        10ms));
    auto sent = Clock::now();
    s.server().signal(SIGQUIT);
    auto status = s.server().wait_exit(3s);
    BOOST_TEST_REQUIRE(status.has_value(), "still running 3 s after SIGQUIT");
    BOOST_TEST(seconds_since(sent) < 1.0, "SIGQUIT took " << seconds_since(sent) << " s");
    // The page was not finished (its 1 s query was running): nginx lost the upstream.
    Response r = page.get();
    BOOST_TEST(r.status == 502, "the page pending at SIGQUIT: " << r.summary() << " " << r.body);
}

BOOST_AUTO_TEST_CASE(socket_held_by_a_live_server_is_refused) {
    ServerOptions o;
    o.workers = 1;
    Stack s(o);
    TempDir dir("asyncpage-second");
    fs::path config = dir / "second.toml";
    write_file(config, "listen = " + toml_string(s.server().socket_path().string()) +
                           "\ndsn = " + toml_string(test_dsn()) + "\nworkers = 1\nreports_dir = " +
                           toml_string(reports_dir().string()) + "\n");
    auto started = Clock::now();
    CommandResult second = run_command("timeout 10 " + shell_quote(ASYNCPAGE_BINARY) +
                                       " serve --config " + shell_quote(config.string()));
    const std::string& out = second.output;
    BOOST_TEST_MESSAGE("second server: exit " << second.status << " after "
                                              << seconds_since(started) << " s: " << out);
    BOOST_TEST(second.status != 0);
    BOOST_TEST(second.status < 128, "the second server was killed");
    BOOST_TEST(second.status != 124, "the second server kept running");
    BOOST_TEST(contains(out, "another server is listening"), out);
    BOOST_TEST(s.get("/reports/trivial?format=json").status == 200,
               "the first server was disturbed");
}

BOOST_AUTO_TEST_SUITE_END()
