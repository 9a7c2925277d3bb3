// pool_mode = "transaction" (README, "Beyond one machine"): asyncpage behind
// PgBouncer 1.18 (Debian 12's) in transaction mode. PgBouncer gets two server
// connections for a worker pool of 16, so one asyncpage connection's statements
// run on different server connections: anything kept on a server connection
// (a named prepared statement, a startup option) would be missing.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "support/cli.hpp"
#include "support/env.hpp"
#include "support/pg.hpp"
#include "support/pgbouncer.hpp"
#include "support/stack.hpp"
#include "support/text.hpp"

using namespace support;
using nlohmann::json;

namespace {

ServerOptions through(const PgBouncer& bouncer, const std::string& pool_mode) {
    ServerOptions o;
    o.dsn = bouncer.dsn();
    o.config["pool_mode"] = toml_string(pool_mode);
    return o;
}

Request job_form(const Stack& s, const std::string& report, const std::string& form) {
    Request req = s.request("/reports/" + report + "/jobs");
    req.method = "POST";
    req.body = form;
    req.headers = {"Accept: application/json", "Content-Type: application/x-www-form-urlencoded"};
    return req;
}

// A role of the test's own, so that its statement_timeout setting touches no
// other test's sessions; dropped at the end whatever happens.
struct OwnRole {
    Pg pg;
    std::string name = unique_name("bouncer_role");
    OwnRole() { pg.exec("CREATE ROLE " + name + " LOGIN"); }
    ~OwnRole() {
        try {
            pg.exec("DROP ROLE IF EXISTS " + name);
        } catch (...) {
        }
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pgbouncer)

BOOST_AUTO_TEST_CASE(transaction_mode_serves_typed_parallel_sequential_pages_and_jobs) {
    prepare_test_schema();
    PgBouncer bouncer(2);
    Stack s(through(bouncer, "transaction"));
    // Rounds of pages at once: typed parameters, three sections in parallel,
    // three in sequence (one pipeline), every JSON type. Each page's sections
    // are prepared-statement candidates that run again and again.
    for (int round = 0; round < 4; ++round) {
        std::vector<Request> batch;
        for (int i = 1; i <= 3; ++i) {
            batch.push_back(s.request("/reports/params?qty=" + std::to_string(round * 3 + i) +
                                      "&label=bouncer&format=json"));
        }
        batch.push_back(s.request("/reports/parallel3?format=json"));
        batch.push_back(s.request("/reports/sequential3?format=json"));
        batch.push_back(s.request("/reports/types?format=json"));
        std::vector<Response> answers = run_concurrent(batch);
        for (std::size_t i = 0; i < answers.size(); ++i) {
            const Response& r = answers[i];
            BOOST_TEST_REQUIRE(r.status == 200, batch[i].url << ": " << r.summary() << " " << r.body
                                                             << s.server().log_tail());
            json page = parse_json(r);
            BOOST_TEST(page["status"] == "ok", batch[i].url << ": " << r.body);
        }
        BOOST_TEST(section(parse_json(answers[0]), "logged")["rows"][0][0] == round * 3 + 1);
        BOOST_TEST(section(parse_json(answers[4]), "c")["rows"][0][0] == 3);
        BOOST_TEST(section(parse_json(answers[5]), "zeta")["rows"][0][0] == 42);
    }

    // A job: its sections on the run pool (through PgBouncer), its bookkeeping
    // and LISTEN on jobs_dsn, direct.
    Response created = support::request(job_form(s, "job_steps", "steps=3&step_ms=50"));
    BOOST_TEST_REQUIRE(created.status == 202, created.summary() << " " << created.body);
    const std::string id = parse_json(created)["id"];
    json j;
    BOOST_TEST(wait_until(
                   [&] {
                       j = parse_json(s.get("/jobs/" + id, {"Accept: application/json"}));
                       return j["state"] == "succeeded" || j["state"] == "failed";
                   },
                   20s),
               "the job did not end: " << j.dump());
    BOOST_TEST(j["state"] == "succeeded", j.dump());
    json result = parse_json(s.get("/jobs/" + id + "/result?format=json"));
    BOOST_TEST(section(result, "steps")["rows"].size() == 3u, result.dump());

    const std::string log = s.server().log_tail(400);
    BOOST_TEST(!contains(log, "does not exist"), log);
    BOOST_TEST(!contains(log, "unsupported startup parameter"), log);
}

// What a site sees when PgBouncer is put in front and pool_mode forgotten: every
// page is 503, and the error log names PgBouncer's refusal (README,
// "Troubleshooting").
BOOST_AUTO_TEST_CASE(session_mode_through_a_transaction_pooler_fails_clearly) {
    PgBouncer bouncer(2);
    Stack s(through(bouncer, "session"));
    Response r = s.get("/reports/trivial?format=json");
    BOOST_TEST(r.status == 503, r.summary() << " " << r.body);
    BOOST_TEST(
        wait_until(
            [&] { return contains(s.server().log_tail(200), "unsupported startup parameter"); },
            5s),
        s.server().log_tail());
}

// `check` says where the statement_timeout backstop comes from in transaction
// mode, warns when the role has none, and warns when jobs would LISTEN through
// the pooler.
BOOST_AUTO_TEST_CASE(check_reports_the_roles_statement_timeout_and_jobs_dsn) {
    OwnRole role;
    TempDir dir("asyncpage-bouncer-check");
    std::filesystem::create_directories(dir / "reports");
    write_file(dir / "reports" / "fine.sql", "-- title: Fine\n\n-- section: one\nSELECT 1 AS x;\n");
    // A role setting applies to server connections opened after it: a PgBouncer
    // of its own for each step.
    auto check = [&](const std::string& extra) {
        PgBouncer bouncer(2, {role.name});
        write_file(dir / "asyncpage.toml",
                   "listen = " + toml_string((dir / "s.sock").string()) +
                       "\ndsn = " + toml_string(bouncer.dsn_as(role.name)) +
                       "\nreports_dir = " + toml_string((dir / "reports").string()) +
                       "\nworkers = 1\npool_mode = \"transaction\"\n" + extra);
        CliResult r = run_cli(
            {server_binary(), "check", "--config", (dir / "asyncpage.toml").string()}, {}, 60s);
        BOOST_TEST_MESSAGE("asyncpage check exit " << r.exit_code << ":\n" << r.output);
        BOOST_TEST_REQUIRE(!r.timed_out);
        return r.output;
    };
    const std::string direct = "jobs_dsn = " + toml_string(test_dsn()) + "\n";

    std::string out = check(direct);
    BOOST_TEST(contains(out, "statement_timeout 0 ms comes from the role or database"), out);
    BOOST_TEST(contains(out, "warning: no statement_timeout for this role"), out);
    BOOST_TEST(contains(out, "ALTER ROLE " + role.name + " SET statement_timeout = '6000ms'"), out);
    BOOST_TEST(!contains(out, "jobs_dsn is dsn"), out);

    role.pg.exec("ALTER ROLE " + role.name + " SET statement_timeout = '3s'");
    out = check(direct);
    BOOST_TEST(contains(out, "statement_timeout 3000 ms comes from the role or database"), out);
    BOOST_TEST(
        contains(out,
                 "warning: statement_timeout 3000 ms is not above the longest report timeout (5s)"),
        out);

    role.pg.exec("ALTER ROLE " + role.name + " SET statement_timeout = '9s'");
    out = check(direct);
    BOOST_TEST(contains(out, "statement_timeout 9000 ms comes from the role or database"), out);
    BOOST_TEST(!contains(out, "warning:"), out);

    out = check("");
    BOOST_TEST(contains(out, "warning: pool_mode = transaction and jobs_dsn is dsn"), out);
}

BOOST_AUTO_TEST_SUITE_END()
