// Jobs that lose no work (DESIGN §4, issue 12): a claim is a lease. A worker
// killed while running a job has its leases released by the supervisor, and the
// job runs again at once (or fails, with `retries: 0`, naming the lost worker); a
// host that vanishes without closing its sockets (its processes stopped, its
// database connections frozen in a TCP relay) loses its job when the lease
// expires, another server runs it, and the stopped run writes nothing when it
// comes back; a SQL error is final at once.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "support/conninfo.hpp"
#include "support/own_site.hpp"
#include "support/stacks.hpp"
#include "support/tcp_relay.hpp"
#include "support/text.hpp"

using namespace support;
using namespace support::own_site;
using nlohmann::json;

namespace {

// Five rows after `secs` seconds; the same with no retries.
const char* const kLeaseRows =
    "-- title: Lease probe\n"
    "-- param: secs int default 3\n"
    "-- job: true\n"
    "-- timeout: 60s\n"
    "\n"
    "-- section: rows\n"
    "SELECT g.i AS own_lease_row, 'row ' || g.i AS label\n"
    "FROM (SELECT pg_sleep(:secs)) AS s, generate_series(1, 5) AS g(i);\n";

std::string with_retries_0(const std::string& sql) {
    return "-- retries: 0\n" + sql;
}

Reports lease_reports() {
    return Reports{{"lease_rows", kLeaseRows}, {"lease_once", with_retries_0(kLeaseRows)}};
}

// One worker serving the lease reports.
ServerOptions one_worker(const ReportDir& reports) {
    ServerOptions o;
    o.workers = 1;
    o.reports_dir = reports.path();
    return o;
}

// The job's statement runs on this server (the suite's cases run side by side,
// each with its own server and the same report).
void wait_for_lease_row(Pg& pg, Stack& s) {
    BOOST_TEST_REQUIRE(wait_until(
        [&] { return pg.count_active(s.server().application_name(), "%own_lease_row%") == 1; },
        5s));
}

bool is_running(const json& j) {
    return j["state"] == "running";
}

std::string job_run(Pg& jobs, const std::string& id) {
    return jobs.scalar("SELECT coalesce(run::text, '') FROM asyncpage.jobs WHERE id = $1::uuid",
                       id);
}

// Rows of the job's result, and stored rows or sections of any other run.
void expect_one_result(Stack& s, Pg& jobs, const std::string& id) {
    Response r = s.get("/jobs/" + id + "/result?format=json");
    BOOST_TEST_REQUIRE(r.status == 200, r.summary() << " " << r.body);
    json result = parse_json(r);
    BOOST_TEST(result["sections"][0]["rows"].size() == 5u, result.dump());
    BOOST_TEST(jobs.scalar_int("SELECT count(*) FROM asyncpage.job_result_chunks c "
                               "JOIN asyncpage.jobs j ON j.id = c.job_id "
                               "WHERE c.job_id = $1::uuid AND c.run <> j.run::text",
                               id) == 0,
               "rows of another run are stored");
    BOOST_TEST(jobs.scalar_int("SELECT count(*) FROM asyncpage.job_results r "
                               "JOIN asyncpage.jobs j ON j.id = r.job_id "
                               "WHERE r.job_id = $1::uuid AND r.run <> j.run::text",
                               id) == 0,
               "sections of another run are stored");
    BOOST_TEST(
        jobs.scalar_int("SELECT coalesce(sum(row_count), 0) FROM asyncpage.job_result_chunks "
                        "WHERE job_id = $1::uuid",
                        id) == 5);
}

// kill -9 of the only worker during a 3 s job: the supervisor's release puts it
// back at once, and it succeeds at attempt 2 with one result. `jobs_dsn`: where
// the server keeps its jobs.
void killed_worker_job_runs_again(Stack& s, const std::string& jobs_dsn) {
    Pg pg;
    Pg jobs(jobs_dsn);
    json created = create_job(s, "lease_rows", "secs=3");
    BOOST_TEST(created["attempt"] == 0);
    BOOST_TEST(created["max_attempts"] == 3, "job_retries 2 by default: " << created.dump());
    std::string id = created["id"];
    json running = wait_job(s, id, is_running, 10);
    BOOST_TEST_REQUIRE(is_running(running), running.dump());
    BOOST_TEST(running["attempt"] == 1);
    wait_for_lease_row(pg, s);
    std::string first_run = job_run(jobs, id);
    pid_t victim = s.server().wait_workers(1)[0];

    auto killed = Clock::now();
    BOOST_TEST_REQUIRE(::kill(victim, SIGKILL) == 0);
    bool requeued = wait_until([&] { return job_run(jobs, id) != first_run; }, 10s, 5ms);
    double requeued_after = seconds_since(killed);
    json done = wait_job(s, id, job_final, 15);
    double done_after = seconds_since(killed);
    BOOST_TEST_MESSAGE("kill -9 of the worker: job back in the queue after "
                       << requeued_after << " s, " << done["state"] << " after " << done_after
                       << " s: " << done.dump());
    BOOST_TEST(requeued);
    BOOST_TEST(requeued_after < 1.0, "the dead worker's lease was not released at once");
    BOOST_TEST(done["state"] == "succeeded");
    BOOST_TEST(done["attempt"] == 2);
    BOOST_TEST(done_after < 10.0);
    expect_one_result(s, jobs, id);
    Response page = s.get("/jobs/" + id);
    BOOST_TEST(contains(page.body, "attempt 2 of 3"), "the wait screen says it was retried");
    BOOST_TEST(s.metrics().value("asyncpage_job_retries_total") == 1.0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(job_leases)

BOOST_AUTO_TEST_CASE(killed_worker_job_runs_again_and_succeeds) {
    ReportDir reports(lease_reports());
    ServerOptions o = one_worker(reports);
    Stack s(o);
    killed_worker_job_runs_again(s, s.server().jobs_dsn());
}

// The same with jobs_dsn written as a postgresql:// URI, to which the release
// child once appended its own keywords as text (and so never connected: the job
// waited for its lease).
BOOST_AUTO_TEST_CASE(killed_worker_job_runs_again_with_a_uri_jobs_dsn) {
    ReportDir reports(lease_reports());
    JobsDb db;
    auto f = parse_conninfo(db.dsn());
    std::string uri = "postgresql:///" + f["dbname"] + "?host=" + f["host"];
    if (f.count("port")) uri += "&port=" + f["port"];
    if (f.count("user")) uri += "&user=" + f["user"];
    ServerOptions o = one_worker(reports);
    o.config["jobs_dsn"] = toml_string(uri);
    Stack s(o);
    killed_worker_job_runs_again(s, db.dsn());
}

BOOST_AUTO_TEST_CASE(killed_worker_job_without_retries_fails_naming_the_worker) {
    ReportDir reports(lease_reports());
    ServerOptions o = one_worker(reports);
    Stack s(o);
    Pg pg;
    json created = create_job(s, "lease_once", "secs=3");
    BOOST_TEST(created["max_attempts"] == 1, "retries: 0 " << created.dump());
    std::string id = created["id"];
    BOOST_TEST_REQUIRE(is_running(wait_job(s, id, is_running, 10)));
    wait_for_lease_row(pg, s);
    pid_t victim = s.server().wait_workers(1)[0];

    auto killed = Clock::now();
    BOOST_TEST_REQUIRE(::kill(victim, SIGKILL) == 0);
    json done = wait_job(s, id, job_final, 15);
    double took = seconds_since(killed);
    BOOST_TEST_MESSAGE("kill -9 with retries: 0: " << done.dump() << " after " << took << " s");
    BOOST_TEST(done["state"] == "failed");
    BOOST_TEST(took < 10.0);
    BOOST_TEST(done["attempt"] == 1);
    std::string message = done["error"]["message"].is_string() ? done["error"]["message"] : "";
    BOOST_TEST(contains(message, "pid " + std::to_string(victim)), message);
    BOOST_TEST(contains(message, "killed by signal 9"), message);
    BOOST_TEST(contains(message, "after 1 attempt"), message);
    BOOST_TEST(s.metrics().value("asyncpage_job_retries_total") == 0.0);
}

// Server A runs the job with every database connection through a relay; A's
// processes are stopped and the relay frozen (no FIN: PostgreSQL keeps A's
// sessions). Server B takes the job when A's lease expires. A comes back while B
// runs it: A's rows arrive, but its run no longer holds the job and writes
// nothing; the result is B's, once.
BOOST_AUTO_TEST_CASE(vanished_host_loses_its_job_to_another_server_and_writes_nothing) {
    ReportDir reports(lease_reports());
    JobsDb db;
    TcpRelay relay(test_dsn());
    ServerOptions ao, bo;
    ao.workers = bo.workers = 1;
    ao.reports_dir = bo.reports_dir = reports.path();
    ao.dsn = relay.dsn(test_dsn());
    ao.config = {{"jobs_dsn", toml_string(relay.dsn(db.dsn()))}, {"job_lease", "\"2s\""}};
    bo.config = {{"jobs_dsn", toml_string(db.dsn())}, {"job_lease", "\"2s\""}};
    Pg pg;
    Pg jobs(db.dsn());

    Stack a(ao);
    std::string id = create_job(a, "lease_rows", "secs=3")["id"];
    BOOST_TEST_REQUIRE(is_running(wait_job(a, id, is_running, 10)));
    Stack b(bo);  // started once A holds the job
    wait_for_lease_row(pg, a);
    BOOST_TEST_REQUIRE(relay.accepted() > 0);
    std::string first_run = job_run(jobs, id);
    pid_t a_worker = a.server().wait_workers(1)[0];

    BOOST_TEST_REQUIRE(::kill(a.server().pid(), SIGSTOP) == 0);
    BOOST_TEST_REQUIRE(::kill(a_worker, SIGSTOP) == 0);
    relay.freeze();
    auto stopped = Clock::now();
    bool taken = wait_until(
        [&] {
            return jobs.scalar_int(
                       "SELECT count(*) FROM asyncpage.jobs WHERE id = $1::uuid "
                       "AND state = 'running' AND attempt = 2",
                       id) == 1;
        },
        15s, 5ms);
    double taken_after = seconds_since(stopped);
    // A comes back while B runs the job.
    relay.thaw();
    ::kill(a_worker, SIGCONT);
    ::kill(a.server().pid(), SIGCONT);
    BOOST_TEST_REQUIRE(taken, "B never took the job: " << job_json(b, id).dump());
    json done = wait_job(b, id, job_final, 20);
    double done_after = seconds_since(stopped);
    BOOST_TEST_MESSAGE("vanished host (job_lease 2s): job taken by the other server after "
                       << taken_after << " s, " << done["state"] << " after " << done_after
                       << " s: " << done.dump());
    BOOST_TEST(done["state"] == "succeeded");
    BOOST_TEST(done["attempt"] == 2);
    BOOST_TEST(job_run(jobs, id) != first_run);
    bool noticed = wait_until(
        [&] { return a.metrics().value("asyncpage_job_leases_lost_total") == 1.0; }, 10s, 100ms);
    BOOST_TEST(noticed, "A's run did not find its lease gone:\n" << a.server().log_tail(20));
    expect_one_result(b, jobs, id);
    Metrics am = a.metrics(), bm = b.metrics();
    BOOST_TEST(am.value("asyncpage_jobs_total", {{"state", "succeeded"}}) == 0.0);
    BOOST_TEST(bm.value("asyncpage_jobs_total", {{"state", "succeeded"}}) == 1.0);
    BOOST_TEST(bm.value("asyncpage_job_retries_total") == 1.0);
    BOOST_TEST(bm.value("asyncpage_job_lease_expiries_total") == 1.0);
    BOOST_TEST(jobs.scalar_int("SELECT count(*) FROM asyncpage.jobs WHERE state = 'running'") == 0);
}

// The job's own database session ends under it (the backend terminated): the
// query was not at fault, so the job runs again.
BOOST_AUTO_TEST_CASE(a_lost_database_session_runs_the_job_again) {
    ReportDir reports(lease_reports());
    ServerOptions o;
    o.reports_dir = reports.path();
    Stack s(o);
    Pg pg;
    Pg jobs(s.server().jobs_dsn());
    std::string id = create_job(s, "lease_rows", "secs=2")["id"];
    BOOST_TEST_REQUIRE(is_running(wait_job(s, id, is_running, 10)));
    wait_for_lease_row(pg, s);
    BOOST_TEST_REQUIRE(pg.scalar_int("SELECT count(pg_terminate_backend(pid)) FROM "
                                     "pg_stat_activity WHERE query LIKE '%own_lease_row%' "
                                     "AND application_name = $1",
                                     s.server().application_name()) == 1);
    json done = wait_job(s, id, job_final, 15);
    BOOST_TEST_MESSAGE("after its session was terminated: " << done.dump());
    BOOST_TEST(done["state"] == "succeeded");
    BOOST_TEST(done["attempt"] == 2);
    expect_one_result(s, jobs, id);
}

BOOST_AUTO_TEST_CASE(a_sql_error_is_not_retried) {
    ServerOptions o;
    o.config = {{"job_lease", "\"1s\""}};
    Stack s(o);
    Pg jobs(s.server().jobs_dsn());
    std::string id = create_job(s, "job_fail", "")["id"];
    json done = wait_job(s, id, job_final, 15);
    BOOST_TEST_REQUIRE(done["state"] == "failed", done.dump());
    BOOST_TEST(done["error"]["sqlstate"] == "22012");
    BOOST_TEST(done["attempt"] == 1);
    // Several lease periods later it is still the one failed attempt.
    bool changed = wait_until(
        [&] {
            return jobs.scalar_int(
                       "SELECT count(*) FROM asyncpage.jobs WHERE id = $1::uuid "
                       "AND (attempt <> 1 OR state <> 'failed')",
                       id) > 0;
        },
        3s, 100ms);
    BOOST_TEST(!changed, "a failed job ran again: " << job_json(s, id).dump());
    BOOST_TEST(s.metrics().value("asyncpage_job_retries_total") == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
